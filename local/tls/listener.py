"""A listening port that tells TLS from plain HTTP and TLS names apart before any handshake.

Each accepted connection's first bytes are peeked at (they stay in the socket): a TLS ClientHello
(``local.tls.hello``) goes to the ``TlsRouter``'s site for the name it asks for, with that site's
certificate and policy; anything else goes to the plain protocol. So one port can serve HTTPS for
several names (the HTTPS listener: API Gateway's custom domains, CloudFront's aliases, execute-api)
and one port can serve both HTTP and HTTPS (the edge; the site, which browsers reach over HTTPS on
its HTTP port once they have seen its HSTS header).

The protocols are the services' own (aiohttp's ``web.Server``, the gateway's HTTP/1.1 server): they
see an ordinary transport, an SSL one for TLS connections (``get_extra_info("sslcontext")``), and
close their connections themselves when they stop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket

from local.tls import hello
from local.tls.router import ProtocolFactory, TlsRouter

log = logging.getLogger("local.tls")

FIRST_BYTES_TIMEOUT_S = 10.0  # a client that connects and says nothing is let go
HANDSHAKE_TIMEOUT_S = 10.0
_PLAIN_ON_TLS_PORT = (
    b"HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: 42\r\nConnection: close\r\n\r\n"
    b"This port speaks HTTPS only: use https://.\n"
)


class Listener:
    """``plain``: the protocol of non-TLS connections (None: refused with a 400); ``tls``: the router
    of TLS ones (None: closed)."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        plain: ProtocolFactory | None,
        tls: TlsRouter | None,
        backlog: int = 1024,
    ) -> None:
        self.host = host
        self.port = port
        self.plain = plain
        self.tls = tls
        self._backlog = backlog
        self._socket: socket.socket | None = None
        self._acceptor: asyncio.Task[None] | None = None
        self._pending: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        """Listen on host:port (0 picks a free port, then in ``self.port``)."""
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        listening = socket.create_server((self.host, self.port), family=family, backlog=self._backlog)
        listening.setblocking(False)
        self._socket = listening
        self.port = listening.getsockname()[1]
        self._acceptor = asyncio.get_running_loop().create_task(self._accept(listening))

    async def close(self) -> None:
        """Stop accepting; connections being sorted are dropped (served ones are their protocol's)."""
        if self._acceptor is not None:
            self._acceptor.cancel()
            await asyncio.gather(self._acceptor, return_exceptions=True)
            self._acceptor = None
        for task in list(self._pending):
            task.cancel()
        await asyncio.gather(*self._pending, return_exceptions=True)
        if self._socket is not None:
            self._socket.close()
            self._socket = None

    async def _accept(self, listening: socket.socket) -> None:
        loop = asyncio.get_running_loop()
        while True:
            try:
                connection, _ = await loop.sock_accept(listening)
            except OSError as error:  # e.g. too many open files: keep listening
                log.warning("port %d: accept failed: %s", self.port, error)
                await asyncio.sleep(0.1)
                continue
            connection.setblocking(False)
            task = loop.create_task(self._sort(connection))
            self._pending.add(task)
            task.add_done_callback(self._pending.discard)

    async def _sort(self, connection: socket.socket) -> None:
        loop = asyncio.get_running_loop()
        try:
            first = await asyncio.wait_for(_peek(connection), FIRST_BYTES_TIMEOUT_S)
        except (TimeoutError, OSError):
            connection.close()
            return
        if not hello.looks_like_tls(first):
            if self.plain is None:
                with contextlib.suppress(OSError):
                    connection.send(_PLAIN_ON_TLS_PORT)
                connection.close()
                return
            await loop.connect_accepted_socket(self.plain, connection)
            return
        site = self.tls.choose(_server_name(first)) if self.tls is not None else None
        if site is None:
            connection.close()
            return
        try:
            await loop.connect_accepted_socket(
                site.protocol, connection, ssl=site.context, ssl_handshake_timeout=HANDSHAKE_TIMEOUT_S
            )
        except (OSError, TimeoutError) as error:  # ssl.SSLError is an OSError
            # The client refused our certificate, asked for a version or cipher the policy refuses,
            # or went away: what AWS logs nowhere either.
            log.debug("port %d: TLS handshake failed: %s", self.port, error)
            connection.close()


def _server_name(first: bytes) -> str | None:
    try:
        return hello.parse(first).server_name
    except hello.Incomplete:
        return None


async def _peek(connection: socket.socket) -> bytes:
    """The connection's first bytes, left in the socket: for TLS, the whole first record."""
    data = await _peek_at_least(connection, 1)
    if hello.looks_like_tls(data):
        try:
            hello.parse(data)
        except hello.Incomplete:
            wanted = hello.RECORD_HEADER
            if len(data) >= hello.RECORD_HEADER:
                wanted += int.from_bytes(data[3:5], "big")
            data = await _peek_at_least(connection, min(wanted, hello.MAX_RECORD))
    return data


async def _peek_at_least(connection: socket.socket, size: int) -> bytes:
    """Wait until ``size`` bytes can be read (SO_RCVLOWAT: the kernel says "readable" only then, so
    the wait is no busy loop over bytes that stay in the socket), and peek at what is there."""
    loop = asyncio.get_running_loop()
    descriptor = connection.fileno()
    connection.setsockopt(socket.SOL_SOCKET, socket.SO_RCVLOWAT, size)
    try:
        ready = loop.create_future()
        loop.add_reader(descriptor, lambda: None if ready.done() else ready.set_result(None))
        try:
            await ready
        finally:
            loop.remove_reader(descriptor)
        # Fewer than ``size`` bytes only when the client stopped sending (EOF): the caller then
        # treats the hello as unreadable, and the handshake fails as it would anyway.
        data = connection.recv(hello.MAX_RECORD, socket.MSG_PEEK)
        if not data:
            raise ConnectionResetError("closed before sending anything")
        return data
    finally:
        connection.setsockopt(socket.SOL_SOCKET, socket.SO_RCVLOWAT, 1)

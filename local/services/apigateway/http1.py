"""A lean HTTP/1.1 server for the gateway's data plane: an asyncio.Protocol over llhttp (httptools).

Why not aiohttp's web server: the data plane is one catch-all handler, and aiohttp's server machinery
(router, request and response objects, writer) cost ~3x the CPU per request of parsing with llhttp and
writing one prebuilt answer; that CPU was the local cloud's bottleneck (bench apigateway_overhead).
It is one cohesive thing, the wire side of HTTP/1.1, hence its length.

The handler gets a ``Request`` holding the whole body and returns an ``HttpResponse``; it never sees
the wire. What the wire side does (RFC 9112):

- keep-alive (HTTP/1.1's default, HTTP/1.0's on request), pipelining (answers leave in request order),
  idle connections closed after ``keep_alive_timeout_s``;
- bodies by Content-Length or chunked; ``Expect: 100-continue``; a body over ``max_body_bytes`` is
  refused (``refuse_too_large``) as soon as it is known to be too large, not after reading it all;
- HEAD answered with the GET's Content-Length and no body; no body and no Content-Length on 1xx/204/304;
- malformed requests: 400 and close; a request head over ``MAX_HEAD_BYTES``: 431 and close;
- upgrades (WebSocket, h2c, CONNECT) are declined (RFC 9110 7.8): a body-less request is answered as
  plain HTTP/1.1 and the connection closes; one with a body gets 400 (llhttp would not parse it);
- closing after an early answer half-closes and discards what the client still sends for a moment,
  so the answer is not lost to a TCP reset (a client still uploading a refused body reads its 413).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from email.utils import formatdate
from http import HTTPStatus
from typing import Any, cast

import httptools
from multidict import CIMultiDict, CIMultiDictProxy

from local.services.apigateway.eager import start_eagerly
from local.services.apigateway.responses import HttpResponse

log = logging.getLogger("local.services.apigateway.http")

MAX_HEAD_BYTES = 64 * 1024  # request line + headers; beyond: 431
KEEP_ALIVE_TIMEOUT_S = 75.0  # as aiohttp's and nginx's default
LINGER_S = 2.0  # after a half-close, how long what the client still sends is read and dropped
_MAX_QUEUED = 32  # pipelined requests waiting on one connection before it stops reading
_SMALL_BODY = 16 * 1024  # smaller bodies are copied into the head's buffer: one send instead of two

Handler = Callable[["Request"], Coroutine[Any, Any, HttpResponse]]
# Answers a request whose body is over the limit (the request comes with an empty body).
Refusal = Callable[["Request"], HttpResponse]


@dataclass(slots=True)  # one per request: not frozen, frozen __init__ costs
class Request:
    method: str
    target: str  # the request-target exactly as received: path and query, still percent-encoded
    path: str  # the target's path, still percent-encoded
    query_string: str  # the target's query, raw, without "?"
    raw_headers: list[tuple[str, str]]  # as received: order, repeats and the case of names kept
    headers: CIMultiDictProxy[str]  # the same, looked up case-insensitively
    host: str  # Host (or an absolute-form target's authority; else the address the client reached)
    remote: str  # the client's address
    http_version: str  # "1.1", "1.0"
    body: bytes
    keep_alive: bool  # whether the connection stays open after the answer
    scheme: str = "http"  # "https" on a TLS connection (the HTTPS listener's)
    port: int = 0  # the port the client reached

    @property
    def protocol(self) -> str:
        return f"HTTP/{self.http_version}"


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""  # an unregistered status: the reason phrase may be empty (RFC 9112 4)


_STATUS_LINES = {status: f"HTTP/1.1 {status} {_reason(status)}\r\n" for status in range(100, 600)}
_CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"
_NO_BODY_STATUSES = frozenset({204, 304, *range(100, 200)})


def _json_error(status: int, message: str) -> HttpResponse:
    body = f'{{"message": "{message}"}}'.encode()
    return HttpResponse(status, [("Content-Type", "application/json")], body)


INTERNAL_ERROR = _json_error(500, "Internal server error")
HEAD_TOO_LARGE = _json_error(431, "Request Header Fields Too Large")


class _DateHeader:
    """The Date header, formatted once per second."""

    second = 0
    value = ""

    @classmethod
    def now(cls) -> str:
        second = int(time.time())
        if second != cls.second:
            cls.second, cls.value = second, formatdate(second, usegmt=True)
        return cls.value


def _text(raw: bytes) -> str:
    """Header values and targets as UTF-8 where they are, else byte for byte (never an error)."""
    try:
        return raw.decode()
    except UnicodeDecodeError:
        return raw.decode("latin-1")


class _Stop(Exception):
    """Raised in a parser callback (after setting ``_Connection._last_answer``): read no more from
    this connection, answer in turn, then close."""


class HttpServer:
    def __init__(
        self,
        handler: Handler,
        *,
        refuse_too_large: Refusal,
        max_body_bytes: int,
        keep_alive_timeout_s: float = KEEP_ALIVE_TIMEOUT_S,
    ) -> None:
        self.handler = handler
        self.refuse_too_large = refuse_too_large
        self.max_body_bytes = max_body_bytes
        self.keep_alive_timeout_s = keep_alive_timeout_s
        self.connections: set[_Connection] = set()
        self.port = 0
        self._server: asyncio.Server | None = None
        self._sweeper: asyncio.TimerHandle | None = None

    async def start(self, host: str, port: int, *, backlog: int = 1024) -> None:
        """Listen on host:port (0 picks a free port, then in ``self.port``)."""
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            self.protocol, host, port, backlog=backlog, reuse_address=True
        )
        self.port = self._server.sockets[0].getsockname()[1]
        self._sweeper = loop.call_later(self._sweep_interval, self._sweep, loop)

    def protocol(self) -> asyncio.Protocol:
        """The protocol of one new connection (what the listening socket makes per client)."""
        return _Connection(self, asyncio.get_running_loop())

    async def close(self, grace_s: float = 5.0) -> None:
        """Stop listening; answers in progress get ``grace_s`` to finish, then every connection closes."""
        if self._server is None:
            return
        server, self._server = self._server, None
        server.close()
        if self._sweeper is not None:
            self._sweeper.cancel()
        for connection in list(self.connections):
            connection.finish()
        busy = [c.active for c in self.connections if c.active is not None]
        if busy:
            await asyncio.wait(busy, timeout=grace_s)
        for connection in list(self.connections):
            connection.abort()
        try:
            await asyncio.wait_for(server.wait_closed(), timeout=grace_s)
        except TimeoutError:
            log.warning("HTTP server on port %d: connections still open after close", self.port)

    @property
    def _sweep_interval(self) -> float:
        return min(self.keep_alive_timeout_s / 2, 5.0)

    def _sweep(self, loop: asyncio.AbstractEventLoop) -> None:
        """Close the connections idle for longer than the keep-alive timeout (one timer for all
        of them, not one per request)."""
        deadline = loop.time() - self.keep_alive_timeout_s
        for connection in list(self.connections):
            if connection.idle_since is not None and connection.idle_since <= deadline:
                connection.finish()
        self._sweeper = loop.call_later(self._sweep_interval, self._sweep, loop)


class _Connection(asyncio.Protocol):
    """One client connection: parses requests, runs the handler on one at a time, writes answers in
    request order."""

    def __init__(self, server: HttpServer, loop: asyncio.AbstractEventLoop) -> None:
        self._server = server
        self._loop = loop
        self._parser = httptools.HttpRequestParser(self)
        self._transport: asyncio.Transport | None = None
        self._remote = ""
        self._local = ""
        self._port = 0
        self._scheme = "http"
        # the request being received
        self._url = b""
        self._raw: list[tuple[bytes, bytes]] = []
        self._body: list[bytes] = []
        self._body_size = 0
        self._head_size = 0  # request line and headers parsed so far
        self._unparsed_head = 0  # bytes of reads a head has spanned, still unparsed (one endless line)
        self._head_open = False
        self._content_length: int | None = None
        self._expects_continue = False
        self._current: Request | None = None
        self._last_answer: HttpResponse | None = None  # set with _Stop
        # answers, in request order: requests to run, or a last answer (then close)
        self._queue: deque[Request | HttpResponse] = deque()
        self.active: asyncio.Task[HttpResponse] | None = None
        self._active_request: Request | None = None
        self._continue_owed = False
        self._closing = False  # read no more requests; close once the queued ones are answered
        self._closed = False
        self._peer_done = False  # the client sent EOF
        self._reading_paused = False
        self._writing_paused = False
        self._linger: asyncio.TimerHandle | None = None
        self.idle_since: float | None = loop.time()

    # --- asyncio.Protocol ------------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports do not subclass asyncio.Transport but have its methods
        self._transport = cast("asyncio.Transport", transport)
        peer = transport.get_extra_info("peername")
        self._remote = peer[0] if isinstance(peer, tuple) else ""
        local = transport.get_extra_info("sockname")
        self._local = f"{local[0]}:{local[1]}" if isinstance(local, tuple) else ""
        self._port = local[1] if isinstance(local, tuple) else 0
        self._scheme = "https" if transport.get_extra_info("sslcontext") is not None else "http"
        self._server.connections.add(self)

    def data_received(self, data: bytes) -> None:
        if self._closing:
            return  # a last answer is decided: what follows is dropped
        head_was_open = self._head_open
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            self._closing = True  # the request is queued; what follows is the declined protocol
        except httptools.HttpParserError as error:
            self._closing = True
            if self._last_answer is None:
                log.info("malformed request from %s: %s", self._remote, error)
                self._last_answer = _json_error(400, f"Bad Request: {error}")
            self._queue.append(self._last_answer)
        else:
            if head_was_open and self._head_open:  # a head longer than a whole read, still going on
                self._unparsed_head += len(data)
                if self._unparsed_head > MAX_HEAD_BYTES:
                    self._closing = True
                    self._queue.append(HEAD_TOO_LARGE)
        self._dispatch()

    def eof_received(self) -> bool:
        """The client will send no more: answer what it sent, then close."""
        self._closing = self._peer_done = True
        # Nothing owed: False lets the transport close itself; else keep it open for the answers.
        return self.active is not None or bool(self._queue)

    def connection_lost(self, exc: Exception | None) -> None:
        self._closed = True
        self._closing = True
        self._queue.clear()
        self._server.connections.discard(self)
        if self._linger is not None:
            self._linger.cancel()
        # A handler still running finishes on its own (an Invoke runs on, as on AWS); its answer
        # is dropped.

    def pause_writing(self) -> None:
        self._writing_paused = True
        self._update_reading()

    def resume_writing(self) -> None:
        self._writing_paused = False
        self._update_reading()

    # --- llhttp callbacks ------------------------------------------------------------------------

    def on_message_begin(self) -> None:
        self._url = b""
        self._raw = []
        self._body = []
        self._body_size = 0
        self._head_size = 0
        self._unparsed_head = 0
        self._head_open = True
        self._content_length = None
        self._expects_continue = False
        self.idle_since = None

    def on_url(self, url: bytes) -> None:
        self._url += url
        self._head_size += len(url)
        if self._head_size > MAX_HEAD_BYTES:
            self._stop(HEAD_TOO_LARGE)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._raw.append((name, value))
        self._head_size += len(name) + len(value) + 4
        if self._head_size > MAX_HEAD_BYTES:
            self._stop(HEAD_TOO_LARGE)
        if len(name) == 14 and name.lower() == b"content-length":
            self._content_length = int(value)  # llhttp has checked it: digits only
        elif len(name) == 6 and name.lower() == b"expect":
            self._expects_continue = value.strip().lower() == b"100-continue"

    def on_headers_complete(self) -> None:
        self._head_open = False
        request = self._current = self._request_head()
        if self._parser.should_upgrade() and (self._content_length or self._is_chunked()):
            self._stop(_json_error(400, "Bad Request: upgrade requests with a body are not supported"))
        if self._content_length is not None and self._content_length > self._server.max_body_bytes:
            self._stop(self._refuse_too_large(request))
        if self._expects_continue and request.http_version == "1.1":
            if self.active is None and not self._queue:
                self._write(_CONTINUE)
            else:  # answers to earlier requests go first
                self._continue_owed = True

    def on_body(self, body: bytes) -> None:
        self._body_size += len(body)
        if self._body_size > self._server.max_body_bytes:
            assert self._current is not None
            self._stop(self._refuse_too_large(self._current))
        self._body.append(body)

    def on_message_complete(self) -> None:
        request = self._current
        assert request is not None
        self._current = None
        self._continue_owed = False
        body = self._body
        request.body = body[0] if len(body) == 1 else b"".join(body)
        request.keep_alive = self._parser.should_keep_alive() and not self._parser.should_upgrade()
        self._queue.append(request)

    def _stop(self, answer: HttpResponse) -> None:
        self._last_answer = answer
        raise _Stop

    # --- requests --------------------------------------------------------------------------------

    def _request_head(self) -> Request:
        raw = self._raw
        try:
            pairs = [(name.decode("latin-1"), value.decode()) for name, value in raw]
        except UnicodeDecodeError:
            pairs = [(name.decode("latin-1"), _text(value)) for name, value in raw]
        headers = CIMultiDictProxy(CIMultiDict(pairs))
        target = _text(self._url)
        host = headers.get("Host")
        if not target.startswith("/") and "://" in target:
            # absolute-form: its authority is the host, whatever Host says (RFC 9112 3.2.2)
            rest = target.partition("://")[2]
            ends = [i for i in (rest.find("/"), rest.find("?")) if i >= 0]
            cut = min(ends) if ends else len(rest)
            host, target = rest[:cut], rest[cut:]
            if not target.startswith("/"):
                target = "/" + target
        path, _, query = target.partition("?")
        parser = self._parser
        return Request(
            method=parser.get_method().decode("ascii"),
            target=target,
            path=path,
            query_string=query,
            raw_headers=pairs,
            headers=headers,
            host=host or self._local,
            remote=self._remote,
            http_version=parser.get_http_version(),
            body=b"",
            keep_alive=False,
            scheme=self._scheme,
            port=self._port,
        )

    def _is_chunked(self) -> bool:
        return any(
            name.lower() == b"transfer-encoding" and b"chunked" in value.lower() for name, value in self._raw
        )

    def _refuse_too_large(self, request: Request) -> HttpResponse:
        try:
            return self._server.refuse_too_large(request)
        except Exception:
            log.exception("answering a request over the body limit failed")
            return INTERNAL_ERROR

    def _dispatch(self) -> None:
        """Run queued requests one at a time, in order; when none is left, settle the connection."""
        queue = self._queue
        while self.active is None and queue and not self._closed:
            item = queue.popleft()
            if type(item) is HttpResponse:  # a last answer (refusal, malformed request)
                queue.clear()
                self._send(item, head_only=False, keep_alive=False, http10=False)
                break
            assert isinstance(item, Request)
            task = start_eagerly(self._loop, self._server.handler(item))
            if not task.done():
                self.active, self._active_request = task, item
                task.add_done_callback(self._answered)
                break
            self._answer(item, task)
        if self.active is None and not queue and not self._closed:
            if self._closing:
                self._close_gracefully()
            elif self._continue_owed:
                self._continue_owed = False
                self._write(_CONTINUE)
            elif self._current is None and not self._head_open:
                self.idle_since = self._loop.time()
        self._update_reading()

    def _answered(self, task: asyncio.Task[HttpResponse]) -> None:
        request = self._active_request
        self.active = self._active_request = None
        assert request is not None
        if task.cancelled():  # the server is closing
            self.abort()
            return
        self._answer(request, task)
        self._dispatch()

    def _answer(self, request: Request, task: asyncio.Task[HttpResponse]) -> None:
        try:
            response = task.result()
        except Exception:
            log.exception("%s %s: the handler failed", request.method, request.target)
            response = INTERNAL_ERROR
        if not request.keep_alive:
            self._closing = True
            self._queue.clear()  # pipelined after a "Connection: close": never answered
        self._send(
            response,
            head_only=request.method == "HEAD",
            keep_alive=request.keep_alive,
            http10=request.http_version == "1.0",
        )

    # --- answers ---------------------------------------------------------------------------------

    def _send(self, response: HttpResponse, *, head_only: bool, keep_alive: bool, http10: bool) -> None:
        if self._closed:
            return
        status = response.status
        body = response.body
        lines = []
        dated = False  # a Date the handler passes on (an HTTP_PROXY upstream's) wins over ours
        for name, value in response.headers:
            lines.append(f"{name}: {value}\r\n")
            if len(name) == 4 and name.lower() == "date":
                dated = True
        if status not in _NO_BODY_STATUSES:
            lines.append(f"Content-Length: {len(body)}\r\n")
        else:
            body = b""
        if not dated:
            lines.append(f"Date: {_DateHeader.now()}\r\n")
        if not keep_alive:
            lines.append("Connection: close\r\n")
        elif http10:
            lines.append("Connection: keep-alive\r\n")
        text = "".join(lines)
        # A CR or LF inside a name or value would split the answer (response splitting).
        if text.count("\n") != len(lines) or text.count("\r") != len(lines):
            log.error("status %d: a response header holds CR or LF; answering 500 instead", status)
            self._send(INTERNAL_ERROR, head_only=head_only, keep_alive=keep_alive, http10=http10)
            return
        head = (_STATUS_LINES.get(status) or f"HTTP/1.1 {status} \r\n") + text + "\r\n"
        if head_only or not body:
            self._write(head.encode())
        elif len(body) < _SMALL_BODY:
            self._write(head.encode() + body)
        else:
            self._write(head.encode())
            self._write(body)

    def _write(self, data: bytes) -> None:
        transport = self._transport
        if transport is not None and not self._closed and not transport.is_closing():
            transport.write(data)

    # --- flow and closing ------------------------------------------------------------------------

    def _update_reading(self) -> None:
        transport = self._transport
        if transport is None or self._closed:
            return
        pause = self._writing_paused or len(self._queue) >= _MAX_QUEUED
        if pause != self._reading_paused:
            self._reading_paused = pause
            if pause:
                transport.pause_reading()
            else:
                transport.resume_reading()

    def _close_gracefully(self) -> None:
        """Half-close, keep reading (and dropping) what the client still sends for a moment, then
        close: closing with unread data would reset the connection and could lose the answer."""
        transport = self._transport
        if transport is None or self._closed or self._linger is not None:
            return
        self._closing = True
        self.idle_since = None
        if not self._peer_done and transport.can_write_eof():
            transport.write_eof()
            self._linger = self._loop.call_later(LINGER_S, transport.close)
        else:
            transport.close()

    def finish(self) -> None:
        """Take no more requests: close now when idle, else after the answers in progress."""
        self._closing = True
        if self.active is None and not self._queue:
            self._close_gracefully()

    def abort(self) -> None:
        if self._transport is not None and not self._closed:
            self._transport.abort()

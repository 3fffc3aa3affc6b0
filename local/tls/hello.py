"""The server name a TLS client asks for, read from its ClientHello before the handshake starts.

The listeners peek at a connection's first bytes (they stay in the socket for the handshake) to
choose the certificate, the minimum TLS version and the service by name, as API Gateway and
CloudFront do with SNI. Choosing before the handshake matters: OpenSSL settles the protocol version
before Python's SNI callback runs, so a callback could swap the certificate but not the version floor.

Wire format: a TLS record (RFC 8446 5.1: type 22 handshake, version, length) holding a ClientHello
(RFC 8446 4.1.2) whose ``server_name`` extension (RFC 6066 3) carries a ``host_name``.
"""

from __future__ import annotations

from dataclasses import dataclass

HANDSHAKE_RECORD = 0x16
CLIENT_HELLO = 0x01
SERVER_NAME_EXTENSION = 0x0000
HOST_NAME = 0x00
RECORD_HEADER = 5
MAX_RECORD = RECORD_HEADER + 16384 + 2048  # the largest record a peer may send (RFC 8446 5.2)


@dataclass(frozen=True)
class ClientHello:
    server_name: str | None  # lower case, without a trailing dot; None: the client sent no SNI


class Incomplete(Exception):
    """The first record has not fully arrived yet: read more, then parse again."""


def looks_like_tls(first: bytes) -> bool:
    """A connection whose first byte opens a TLS handshake record (a plain HTTP request starts with
    a method's letters, never 0x16)."""
    return first[:1] == bytes([HANDSHAKE_RECORD])


def parse(data: bytes) -> ClientHello:
    """The ClientHello at the start of ``data``.

    Raises ``Incomplete`` while the first record is still arriving. Anything malformed (or a
    ClientHello split over several records, which no browser sends) yields no server name: the
    handshake then goes on with the default certificate, and OpenSSL judges what it reads.
    """
    if len(data) < RECORD_HEADER:
        raise Incomplete
    if data[0] != HANDSHAKE_RECORD:
        return ClientHello(None)
    length = int.from_bytes(data[3:5], "big")
    if len(data) < RECORD_HEADER + length:
        raise Incomplete
    try:
        return ClientHello(_server_name(data[RECORD_HEADER : RECORD_HEADER + length]))
    except (IndexError, UnicodeDecodeError, ValueError):
        return ClientHello(None)


def _server_name(body: bytes) -> str | None:
    if body[0] != CLIENT_HELLO:
        return None
    declared = int.from_bytes(body[1:4], "big")
    if declared + 4 > len(body):
        return None  # the ClientHello goes on in another record
    position = 4 + 2 + 32  # handshake header, legacy_version, random
    position += 1 + body[position]  # legacy_session_id
    position += 2 + int.from_bytes(body[position : position + 2], "big")  # cipher_suites
    position += 1 + body[position]  # legacy_compression_methods
    if position + 2 > len(body):
        return None  # no extensions at all
    end = position + 2 + int.from_bytes(body[position : position + 2], "big")
    position += 2
    while position + 4 <= end:
        kind = int.from_bytes(body[position : position + 2], "big")
        size = int.from_bytes(body[position + 2 : position + 4], "big")
        position += 4
        if kind == SERVER_NAME_EXTENSION:
            return _host_name(body[position : position + size])
        position += size
    return None


def _host_name(extension: bytes) -> str | None:
    listed = int.from_bytes(extension[0:2], "big")
    position, end = 2, 2 + listed
    while position + 3 <= end:
        kind = extension[position]
        size = int.from_bytes(extension[position + 1 : position + 3], "big")
        name = extension[position + 3 : position + 3 + size]
        if kind == HOST_NAME and len(name) == size:
            return name.decode("ascii").lower().rstrip(".") or None
        position += 3 + size
    return None

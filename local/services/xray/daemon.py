"""The X-Ray daemon's UDP endpoint: what the SDKs in the functions send to ``AWS_XRAY_DAEMON_ADDRESS``.

Wire format (https://docs.aws.amazon.com/xray/latest/devguide/xray-api-sendingdata.html#xray-api-daemon):
each datagram is the header line ``{"format": "json", "version": 1}``, a newline, then one segment
document, at most 64 KB in all. Subsegments may come on their own (``type: "subsegment"``) and a
segment may come first in progress, then complete; the store merges them.

A datagram that is too long, lacks the header or carries a document X-Ray would refuse is counted and
dropped: nothing a sender does raises here. Senders never wait on us (UDP); when the kernel's receive
buffer overflows it drops datagrams, and ``kernel_drops`` reads that count (Linux) so it is reported,
not hidden.
"""

from __future__ import annotations

import asyncio
import json
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from local.services.xray.documents import InvalidDocument

MAX_DATAGRAM_BYTES = 64 * 1024
HEADER = {"format": "json", "version": 1}


class SegmentSink(Protocol):
    def put(self, document: Any) -> None: ...


class MalformedDatagram(ValueError):
    pass


def parse_datagram(data: bytes) -> Any:
    """The segment document in one datagram, or MalformedDatagram saying what is wrong."""
    if len(data) > MAX_DATAGRAM_BYTES:
        raise MalformedDatagram(f"{len(data)} bytes is over the daemon's 64 KB limit")
    header, newline, body = data.partition(b"\n")
    if not newline:
        raise MalformedDatagram("no header line")
    try:
        if json.loads(header) != HEADER:
            raise MalformedDatagram(f"unexpected header {header[:80]!r}")
        return json.loads(body)
    except (ValueError, UnicodeDecodeError) as error:
        raise MalformedDatagram(f"not JSON: {error}") from None


@dataclass
class DaemonCounters:
    received: int = 0
    accepted: int = 0
    malformed: int = 0  # bad framing or JSON, or over 64 KB
    rejected: int = 0  # well framed, but a document X-Ray refuses


class DaemonProtocol(asyncio.DatagramProtocol):
    def __init__(self, sink: SegmentSink, counters: DaemonCounters) -> None:
        self.sink = sink
        self.counters = counters

    def datagram_received(self, data: bytes, addr: Any) -> None:
        counters = self.counters
        counters.received += 1
        try:
            document = parse_datagram(data)
        except MalformedDatagram:
            counters.malformed += 1
            return
        try:
            self.sink.put(document)
        except InvalidDocument:
            counters.rejected += 1
            return
        counters.accepted += 1

    def error_received(self, exc: Exception) -> None:
        """An ICMP error from a send we never make: nothing to do."""


class Daemon:
    """The UDP endpoint, bound on ``start`` (port 0: a free port, read back from ``port``)."""

    def __init__(self, sink: SegmentSink, host: str = "127.0.0.1", port: int = 2000) -> None:
        self.sink = sink
        self.host = host
        self.port = port
        self.counters = DaemonCounters()
        self._transport: asyncio.DatagramTransport | None = None

    @property
    def address(self) -> str:
        """The value functions get as ``AWS_XRAY_DAEMON_ADDRESS``."""
        return f"{self.host}:{self.port}"

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_datagram_endpoint(
            lambda: DaemonProtocol(self.sink, self.counters), local_addr=(self.host, self.port)
        )
        sock = transport.get_extra_info("socket")
        # A burst of invocations sends many segments at once: a larger buffer drops fewer.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 * 1024 * 1024)
        self.port = sock.getsockname()[1]
        self._transport = transport

    async def reload(self) -> None:
        """Nothing deployed changes the daemon."""

    async def stop(self) -> None:
        if self._transport is not None:
            self._transport.close()
            self._transport = None

    def kernel_drops(self) -> int | None:
        """Datagrams the kernel dropped on our socket (a full buffer); None where unknown."""
        return udp_drops(self.port) if self._transport is not None else None


def udp_drops(port: int, table: Path = Path("/proc/net/udp")) -> int | None:
    """The ``drops`` column of the socket bound to ``port`` in /proc/net/udp (Linux only)."""
    try:
        lines = table.read_text().splitlines()[1:]
    except OSError:
        return None
    for line in lines:
        fields = line.split()
        # sl local_address rem_address st tx:rx tr:tm retrnsmt uid timeout inode ref pointer drops
        if len(fields) >= 13 and int(fields[1].rsplit(":", 1)[1], 16) == port:
            return int(fields[12])
    return None

"""The daemon's UDP endpoint: the wire format, the 64 KB limit, and never failing on bad input."""

from __future__ import annotations

import asyncio
import json
import socket
from typing import Any

import pytest

from local.services.xray.daemon import (
    MAX_DATAGRAM_BYTES,
    Daemon,
    MalformedDatagram,
    parse_datagram,
    udp_drops,
)
from local.services.xray.store import TraceStore
from tests.local.xray.support import EPOCH, segment, segment_id, trace_id

HEADER = b'{"format": "json", "version": 1}\n'


def datagram(document: Any) -> bytes:
    return HEADER + json.dumps(document).encode()


def test_a_datagram_is_the_header_line_then_one_document():
    document = segment(trace_id(), 1, "api", EPOCH, EPOCH + 1)

    assert parse_datagram(datagram(document)) == document
    # The SDKs write the header without spaces too.
    assert parse_datagram(b'{"format":"json","version":1}\n' + json.dumps(document).encode()) == document


@pytest.mark.parametrize(
    ("data", "complaint"),
    [
        (json.dumps({"id": "1"}).encode(), "no header line"),
        (b'{"format": "json", "version": 2}\n{}', "unexpected header"),
        (b"hello\n{}", "not JSON"),
        (HEADER + b"{broken", "not JSON"),
        (HEADER + b"\xff\xfe", "not JSON"),
        (HEADER + b" " * MAX_DATAGRAM_BYTES, "64"),
    ],
)
def test_a_malformed_datagram_is_refused_with_the_reason(data, complaint):
    with pytest.raises(MalformedDatagram, match=complaint):
        parse_datagram(data)


class CountingStore(TraceStore):
    """A store that tells when it has stored a number of documents, so the test waits on that."""

    def __init__(self) -> None:
        super().__init__()
        self.stored = 0
        self.changed = asyncio.Condition()

    def put(self, document: Any) -> None:
        super().put(document)
        self.stored += 1
        asyncio.get_running_loop().create_task(self._notify())

    async def _notify(self) -> None:
        async with self.changed:
            self.changed.notify_all()

    async def wait_for(self, count: int) -> None:
        async with self.changed:
            await asyncio.wait_for(self.changed.wait_for(lambda: self.stored >= count), 10)


def test_segments_sent_over_udp_are_stored_and_bad_datagrams_counted():
    async def scenario() -> None:
        # Given a daemon on a free port
        store = CountingStore()
        daemon = Daemon(store, port=0)
        await daemon.start()
        trace = trace_id()
        big_annotation = "x" * 60_000  # under the 64 KB limit
        sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            # When an SDK sends an in-progress segment, garbage, a refused document, a large
            # subsegment on its own, then the complete segment
            address = ("127.0.0.1", daemon.port)
            sender.sendto(datagram(segment(trace, 1, "api", EPOCH, None)), address)
            sender.sendto(b"not a segment", address)
            sender.sendto(datagram({"id": "nope"}), address)
            sub = segment(
                trace,
                2,
                "work",
                EPOCH,
                EPOCH + 0.5,
                type="subsegment",
                parent_id=segment_id(1),
                metadata={"default": {"big": big_annotation}},
            )
            sender.sendto(datagram(sub), address)
            sender.sendto(datagram(segment(trace, 1, "api", EPOCH, EPOCH + 1)), address)
            await store.wait_for(3)
        finally:
            sender.close()
            await daemon.stop()

        # Then the trace is whole and complete, and the bad datagrams were counted, not raised
        stored = store.get(trace)
        assert stored is not None
        (api,) = stored.assembled().segments
        assert api["end_time"] == EPOCH + 1
        assert api["subsegments"][0]["metadata"]["default"]["big"] == big_annotation
        assert daemon.counters.received == 5
        assert daemon.counters.accepted == 3
        assert daemon.counters.malformed == 1
        assert daemon.counters.rejected == 1

    asyncio.run(scenario())


def test_the_daemon_address_is_what_the_functions_get():
    async def scenario() -> tuple[str, int | None]:
        daemon = Daemon(TraceStore(), port=0)
        await daemon.start()
        try:
            return daemon.address, daemon.kernel_drops()
        finally:
            await daemon.stop()

    address, drops = asyncio.run(scenario())
    host, port = address.split(":")
    assert host == "127.0.0.1"
    assert int(port) > 0
    assert drops in (0, None)  # None off Linux


def test_kernel_drops_are_read_from_the_sockets_table(tmp_path):
    table = tmp_path / "udp"
    header = "sl local_address rem_address st tx_queue rx_queue tr tm->when retrnsmt uid timeout inode ref "
    header += "pointer drops"
    row = "365: 0100007F:07D0 00000000:0000 07 00000000:00000000 00:00000000 00000000 0 0 29333 2 "
    row += "0000000000000000 17"
    table.write_text(f"  {header}\n  {row}\n")

    assert udp_drops(2000, table) == 17
    assert udp_drops(2001, table) is None
    assert udp_drops(2000, tmp_path / "absent") is None

"""A stand-in X-Ray daemon for the tracing provider's tests: a real UDP socket on loopback, named by
AWS_XRAY_DAEMON_ADDRESS, and a Lambda invocation's trace header in _X_AMZN_TRACE_ID."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from typing import Any

import pytest

TRACE_ID = "1-5759e988-bd862e3fe1be46a994272793"
FUNCTION_SEGMENT_ID = "53995c3f42cd8ad8"
HEADER_LINE = b'{"format": "json", "version": 1}'


class Daemon:
    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.datagrams: list[bytes] = []

    def received(self) -> list[dict[str, Any]]:
        """Every document sent so far (sendto on loopback has queued a datagram by the time it
        returns, so nothing is waited for), each checked to be in the daemon's wire format."""
        while True:
            try:
                self.datagrams.append(self.sock.recv(70_000))
            except BlockingIOError:
                break
        documents = []
        for datagram in self.datagrams:
            header, newline, body = datagram.partition(b"\n")
            assert (header, newline) == (HEADER_LINE, b"\n")
            assert len(datagram) <= 64 * 1024
            documents.append(json.loads(body))
        return documents


@pytest.fixture
def daemon(monkeypatch: pytest.MonkeyPatch) -> Iterator[Daemon]:
    """Given a daemon listening on loopback and a traced (Sampled=1) Lambda invocation."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.setblocking(False)
    host, port = sock.getsockname()
    monkeypatch.setenv("AWS_XRAY_DAEMON_ADDRESS", f"{host}:{port}")
    monkeypatch.setenv("_X_AMZN_TRACE_ID", f"Root={TRACE_ID};Parent={FUNCTION_SEGMENT_ID};Sampled=1")
    yield Daemon(sock)
    sock.close()

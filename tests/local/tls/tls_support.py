"""TLS test helpers: a one-shot server presenting a leaf, client handshakes and HTTPS requests by
name to a loopback port (Python's resolver knows no ``*.localhost``: the name goes in SNI and Host),
always verifying."""

from __future__ import annotations

import socket
import ssl
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from local.tls.authority import LeafFiles

TIMEOUT_S = 10


@contextmanager
def serve_once(leaf: LeafFiles) -> Iterator[int]:
    """A thread that accepts one TLS connection with ``leaf`` (whatever the client does next)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(leaf.certificate, leaf.key)
    listening = socket.create_server(("127.0.0.1", 0))
    listening.settimeout(TIMEOUT_S)

    def accept() -> None:
        try:
            connection, _ = listening.accept()
            with context.wrap_socket(connection, server_side=True) as tls:
                tls.recv(1)
        except OSError:
            pass  # the client refused the handshake: that is what some tests want

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield listening.getsockname()[1]
    finally:
        thread.join(TIMEOUT_S)
        listening.close()


def client_context(ca_bundle: Path | None, version: ssl.TLSVersion | None = None) -> ssl.SSLContext:
    """A verifying client context: the system's roots, plus ``ca_bundle``; ``version`` pins the
    protocol (TLS 1.0/1.1 need OpenSSL's security level 0 to be offered at all)."""
    context = ssl.create_default_context()
    if ca_bundle is not None:
        context.load_verify_locations(cafile=str(ca_bundle))
    if version is not None:
        with warnings.catch_warnings():  # an old client on purpose
            warnings.simplefilter("ignore", DeprecationWarning)
            context.minimum_version = version
            context.maximum_version = version
        context.set_ciphers("DEFAULT:@SECLEVEL=0")
    return context


def handshake(
    port: int, server_name: str, ca_bundle: Path | None, version: ssl.TLSVersion | None = None
) -> str:
    """Connect to 127.0.0.1:port asking for ``server_name`` (SNI), verify, return the TLS version."""
    context = client_context(ca_bundle, version)
    with (
        socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT_S) as raw,
        context.wrap_socket(raw, server_hostname=server_name) as tls,
    ):
        return str(tls.version())


def peer_certificate(port: int, server_name: str, ca_bundle: Path) -> dict[str, object]:
    """The verified certificate the server presents for ``server_name`` (``ssl``'s dict form)."""
    context = client_context(ca_bundle)
    with (
        socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT_S) as raw,
        context.wrap_socket(raw, server_hostname=server_name) as tls,
    ):
        return dict(tls.getpeercert() or {})


def subject_alt_names(certificate: dict[str, object]) -> set[str]:
    return {value for kind, value in certificate.get("subjectAltName", ()) if kind == "DNS"}  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]  # lower-case names
    body: bytes


def https_get(
    port: int, name: str, ca_bundle: Path | str, path: str = "/", headers: dict[str, str] | None = None
) -> Answer:
    """GET https://<name>:<port><path> by way of 127.0.0.1, verified with ``ca_bundle``."""
    context = ssl.create_default_context(cafile=str(ca_bundle))
    extra = "".join(f"{key}: {value}\r\n" for key, value in (headers or {}).items())
    with (
        socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT_S) as raw,
        context.wrap_socket(raw, server_hostname=name) as tls,
    ):
        tls.sendall(
            f"GET {path} HTTP/1.1\r\nHost: {name}:{port}\r\n{extra}Connection: close\r\n\r\n".encode()
        )
        received = b""
        while chunk := tls.recv(65536):
            received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    fields = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
    answer_headers = {key.lower(): value for key, value in fields.items()}
    if answer_headers.get("transfer-encoding") == "chunked":
        body = _dechunk(body)
    return Answer(int(lines[0].split()[1]), answer_headers, body)


def _dechunk(body: bytes) -> bytes:
    out, rest = b"", body
    while rest:
        size_line, _, rest = rest.partition(b"\r\n")
        size = int(size_line.split(b";")[0], 16)
        if size == 0:
            break
        out, rest = out + rest[:size], rest[size + 2 :]
    return out

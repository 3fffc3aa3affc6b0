"""TLS test helpers: a one-shot server presenting a leaf, and client handshakes (always verifying)."""

from __future__ import annotations

import socket
import ssl
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
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

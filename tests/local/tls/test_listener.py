"""One port, several names, both protocols: the listener sorts connections before any handshake."""

from __future__ import annotations

import socket
import ssl
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiohttp import web

from local.tls.authority import LeafFiles, LocalCA
from local.tls.listener import Listener
from local.tls.policy import TlsPolicy, server_context
from local.tls.router import TlsRouter, TlsSite
from tests.local.gateway_support import LoopThread, loop_thread
from tests.local.tls.tls_support import TIMEOUT_S, handshake, https_get, peer_certificate, subject_alt_names

TLS_1_2 = TlsPolicy("test 1.2", ssl.TLSVersion.TLSv1_2, ("ECDHE-ECDSA-AES128-GCM-SHA256",))
TLS_1_0 = TlsPolicy(
    "test 1.0", ssl.TLSVersion.TLSv1, ("ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES128-SHA")
)


async def answer(request: web.BaseRequest) -> web.Response:
    return web.Response(text=f"{request.host} {request.scheme}")


@pytest.fixture
def ca(tmp_path: Path) -> LocalCA:
    return LocalCA.load_or_create(tmp_path / "ca")


servers = pytest.fixture(loop_thread)


@pytest.fixture
def listening(servers: LoopThread, ca: LocalCA, tmp_path: Path) -> Iterator[tuple[Listener, Listener]]:
    """A TLS-only port (www at TLS 1.2, *.execute-api at TLS 1.0 as the default) and a port that
    serves plain HTTP too, in the servers' loop."""
    server = web.Server(answer, loop=servers.loop)
    www = ca.issue_to(LeafFiles(tmp_path / "www.pem", tmp_path / "www.key"), ["www.test.localhost"])
    execute = ca.issue_to(LeafFiles(tmp_path / "x.pem", tmp_path / "x.key"), ["*.execute-api.localhost"])
    router = TlsRouter()
    default = TlsSite(("*.execute-api.localhost",), server_context(execute, TLS_1_0), server, "execute-api")
    router.replace(
        [TlsSite(("www.test.localhost",), server_context(www, TLS_1_2), server, "www"), default], default
    )
    tls_only = Listener("127.0.0.1", 0, plain=None, tls=router)
    both = Listener("127.0.0.1", 0, plain=server, tls=router)
    servers.run(tls_only.start())
    servers.run(both.start())
    yield tls_only, both
    servers.run(tls_only.close())
    servers.run(both.close())
    servers.run(server.shutdown(1))


def test_each_name_gets_its_certificate_and_an_unknown_one_the_default(
    listening: tuple[Listener, Listener], ca: LocalCA
) -> None:
    tls_only, _ = listening

    www = peer_certificate(tls_only.port, "www.test.localhost", ca.bundle)
    api = peer_certificate(tls_only.port, "abc123.execute-api.localhost", ca.bundle)

    assert subject_alt_names(www) == {"www.test.localhost"}
    assert subject_alt_names(api) == {"*.execute-api.localhost"}
    with pytest.raises(ssl.SSLCertVerificationError, match=r"not valid for 'other\.localhost'"):
        handshake(tls_only.port, "other.localhost", ca.bundle)


def test_the_minimum_version_is_the_names_policy(listening: tuple[Listener, Listener], ca: LocalCA) -> None:
    tls_only, _ = listening

    # A TLS 1.1 client is refused by the TLS 1.2 name and served by the TLS 1.0 one, on one port
    with pytest.raises(ssl.SSLError):
        handshake(tls_only.port, "www.test.localhost", ca.bundle, ssl.TLSVersion.TLSv1_1)
    accepted = handshake(tls_only.port, "abc.execute-api.localhost", ca.bundle, ssl.TLSVersion.TLSv1_1)
    assert accepted == "TLSv1.1"
    assert handshake(tls_only.port, "www.test.localhost", ca.bundle) == "TLSv1.3"


def test_a_client_without_the_ca_gets_a_verification_error(listening: tuple[Listener, Listener]) -> None:
    tls_only, _ = listening
    with pytest.raises(ssl.SSLCertVerificationError, match="unable to get local issuer"):
        handshake(tls_only.port, "www.test.localhost", None)


def test_one_port_serves_http_and_https(listening: tuple[Listener, Listener], ca: LocalCA) -> None:
    _, both = listening

    with urllib.request.urlopen(f"http://127.0.0.1:{both.port}/", timeout=TIMEOUT_S) as response:
        plain = response.read().decode()
    secure = https_get(both.port, "www.test.localhost", ca.bundle).body.decode()

    assert plain == f"127.0.0.1:{both.port} http"
    assert secure == f"www.test.localhost:{both.port} https"


def test_plain_http_on_a_tls_only_port_is_told_to_use_https(listening: tuple[Listener, Listener]) -> None:
    tls_only, _ = listening

    def plain() -> bytes:
        with socket.create_connection(("127.0.0.1", tls_only.port), timeout=TIMEOUT_S) as raw:
            raw.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            return raw.recv(4096)

    answer = plain()
    assert answer.startswith(b"HTTP/1.1 400 Bad Request")
    assert b"use https://" in answer

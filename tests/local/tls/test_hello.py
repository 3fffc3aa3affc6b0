"""Reading the server name from a real ClientHello, before any handshake."""

from __future__ import annotations

import ssl

import pytest

from local.tls import hello


def client_hello(server_name: str | None) -> bytes:
    """The first flight of a real (OpenSSL) client asking for ``server_name``."""
    context = ssl.create_default_context()
    context.check_hostname = server_name is not None
    if server_name is None:
        context.verify_mode = ssl.CERT_REQUIRED
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    client = context.wrap_bio(incoming, outgoing, server_hostname=server_name)
    with pytest.raises(ssl.SSLWantReadError):
        client.do_handshake()
    return outgoing.read()


def test_the_server_name_of_a_client_hello() -> None:
    data = client_hello("WWW.Postcards.localhost")
    assert hello.looks_like_tls(data)
    assert hello.parse(data) == hello.ClientHello("www.postcards.localhost")


def test_a_client_hello_without_sni_names_nothing() -> None:
    assert hello.parse(client_hello(None)) == hello.ClientHello(None)


def test_a_client_hello_still_arriving_asks_for_more() -> None:
    data = client_hello("api.postcards.localhost")
    for cut in (0, 3, 5, len(data) - 1):
        with pytest.raises(hello.Incomplete):
            hello.parse(data[:cut])


def test_plain_http_is_not_tls_and_garbage_names_nothing() -> None:
    assert not hello.looks_like_tls(b"GET / HTTP/1.1\r\n")
    assert hello.parse(b"GET / HTTP/1.1\r\n\r\n") == hello.ClientHello(None)
    assert hello.parse(bytes([0x16, 3, 1, 0, 4, 1, 0, 0, 99])) == hello.ClientHello(None)

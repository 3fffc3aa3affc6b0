"""A TLS security policy (the minimum protocol version and the TLS 1.2 ciphers a name accepts) and
the server context that enforces it with one certificate.

The policies themselves are the services': API Gateway's ``securityPolicy`` values
(``local.services.apigateway.tls``) and CloudFront's ``MinimumProtocolVersion`` values
(``local.services.cloudfront.tls``). TLS 1.3's cipher suites are not configurable here: OpenSSL's
defaults are the three AWS offers (TLS_AES_128_GCM_SHA256, TLS_AES_256_GCM_SHA384,
TLS_CHACHA20_POLY1305_SHA256).
"""

from __future__ import annotations

import ssl
import warnings
from dataclasses import dataclass

from local.tls.authority import LeafFiles


@dataclass(frozen=True)
class TlsPolicy:
    name: str
    minimum: ssl.TLSVersion
    tls12_ciphers: tuple[str, ...]  # OpenSSL names, in preference order

    @property
    def cipher_string(self) -> str:
        ciphers = ":".join(self.tls12_ciphers)
        # OpenSSL 3 refuses TLS 1.0 and 1.1 below security level 0 (their handshakes sign with SHA-1);
        # a policy that accepts them must say so, as AWS's legacy policies accept them.
        return f"{ciphers}:@SECLEVEL=0" if self.minimum < ssl.TLSVersion.TLSv1_2 else ciphers


def server_context(leaf: LeafFiles, policy: TlsPolicy) -> ssl.SSLContext:
    """A server context presenting ``leaf`` to clients that meet ``policy``; HTTP/1.1 by ALPN (the
    local servers speak nothing else)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    with warnings.catch_warnings():
        # TLS 1.0/1.1 are deprecated in Python's ssl; AWS's legacy policies still accept them.
        warnings.simplefilter("ignore", DeprecationWarning)
        context.minimum_version = policy.minimum
    context.set_ciphers(policy.cipher_string)
    context.load_cert_chain(leaf.certificate, leaf.key)
    context.set_alpn_protocols(["http/1.1"])
    return context


def client_context(ca_bundle: str) -> ssl.SSLContext:
    """What the local cloud's own clients verify its HTTPS endpoints with: the system's roots and
    the local CA (verification is never turned off)."""
    context = ssl.create_default_context()
    context.load_verify_locations(cafile=ca_bundle)
    return context

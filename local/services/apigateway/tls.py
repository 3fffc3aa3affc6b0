"""API Gateway's TLS security policies, as the HTTPS listener enforces them per name.

A custom domain names its policy (``securityPolicy``: ``TLS_1_2`` accepts TLS 1.2 and 1.3, ``TLS_1_0``
TLS 1.0 to 1.3); a regional API's default ``execute-api`` endpoint always uses TLS_1_0. The ciphers
are the regional endpoints' table (RSA ones included as listed; the local leaves are ECDSA, so those
apply). Enhanced policies (``SecurityPolicy_*``) are read by their TLS floor.

https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-custom-domain-tls-version.html
"""

from __future__ import annotations

import logging
import ssl

from local.tls.policy import TlsPolicy

log = logging.getLogger("local.services.apigateway")

_TLS_1_2_CIPHERS = (
    "ECDHE-ECDSA-AES128-GCM-SHA256",
    "ECDHE-RSA-AES128-GCM-SHA256",
    "ECDHE-ECDSA-AES128-SHA256",
    "ECDHE-RSA-AES128-SHA256",
    "ECDHE-ECDSA-AES256-GCM-SHA384",
    "ECDHE-RSA-AES256-GCM-SHA384",
    "ECDHE-ECDSA-AES256-SHA384",
    "ECDHE-RSA-AES256-SHA384",
    "AES128-GCM-SHA256",
    "AES128-SHA256",
    "AES256-GCM-SHA384",
    "AES256-SHA256",
)
_TLS_1_0_EXTRA = (
    "ECDHE-ECDSA-AES128-SHA",
    "ECDHE-RSA-AES128-SHA",
    "ECDHE-RSA-AES256-SHA",
    "ECDHE-ECDSA-AES256-SHA",
    "AES128-SHA",
    "AES256-SHA",
    "DES-CBC3-SHA",
)

SECURITY_POLICIES = {
    "TLS_1_0": TlsPolicy("TLS_1_0", ssl.TLSVersion.TLSv1, _TLS_1_2_CIPHERS + _TLS_1_0_EXTRA),
    "TLS_1_2": TlsPolicy("TLS_1_2", ssl.TLSVersion.TLSv1_2, _TLS_1_2_CIPHERS),
}
DEFAULT_ENDPOINT_POLICY = SECURITY_POLICIES["TLS_1_0"]  # regional APIs' execute-api endpoints


def security_policy(name: str | None) -> TlsPolicy:
    """The policy a domain name's ``securityPolicy`` names (API Gateway's default: TLS_1_2)."""
    if not name:
        return SECURITY_POLICIES["TLS_1_2"]
    known = SECURITY_POLICIES.get(name)
    if known is not None:
        return known
    if name.startswith("SecurityPolicy_TLS13"):
        return TlsPolicy(name, ssl.TLSVersion.TLSv1_3, _TLS_1_2_CIPHERS)
    log.warning("security policy %s is not known locally: TLS 1.2 and later are accepted", name)
    return TlsPolicy(name, ssl.TLSVersion.TLSv1_2, _TLS_1_2_CIPHERS)

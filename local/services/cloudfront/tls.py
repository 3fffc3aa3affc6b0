"""CloudFront's viewer security policies (``ViewerCertificate.MinimumProtocolVersion``), as the HTTPS
listener enforces them for the distribution's aliases.

Each policy is its lowest protocol and its TLS 1.2 ciphers (the ECDSA and RSA ones CloudFront lists;
the local leaves are ECDSA). SSLv3 is not offered by OpenSSL at all: that policy accepts TLS 1.0 and
later here.

https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/secure-connections-supported-viewer-protocols-ciphers.html
"""

from __future__ import annotations

import logging
import ssl

from local.tls.policy import TlsPolicy

log = logging.getLogger("local.services.cloudfront")

_GCM_AND_CHACHA = (
    "ECDHE-ECDSA-AES128-GCM-SHA256",
    "ECDHE-ECDSA-AES256-GCM-SHA384",
    "ECDHE-ECDSA-CHACHA20-POLY1305",
    "ECDHE-RSA-AES128-GCM-SHA256",
    "ECDHE-RSA-AES256-GCM-SHA384",
    "ECDHE-RSA-CHACHA20-POLY1305",
)
_CBC_SHA2 = (
    "ECDHE-ECDSA-AES128-SHA256",
    "ECDHE-ECDSA-AES256-SHA384",
    "ECDHE-RSA-AES128-SHA256",
    "ECDHE-RSA-AES256-SHA384",
)
_CBC_SHA1 = (
    "ECDHE-ECDSA-AES128-SHA",
    "ECDHE-ECDSA-AES256-SHA",
    "ECDHE-RSA-AES128-SHA",
    "ECDHE-RSA-AES256-SHA",
)
_LEGACY = ("AES128-GCM-SHA256", "AES256-GCM-SHA384", "AES128-SHA256", "AES256-SHA", "AES128-SHA")

_V1 = ssl.TLSVersion.TLSv1
MINIMUM_PROTOCOL_VERSIONS = {
    "SSLv3": TlsPolicy("SSLv3", _V1, _GCM_AND_CHACHA + _CBC_SHA2 + _CBC_SHA1 + _LEGACY + ("DES-CBC3-SHA",)),
    "TLSv1": TlsPolicy("TLSv1", _V1, _GCM_AND_CHACHA + _CBC_SHA2 + _CBC_SHA1 + _LEGACY + ("DES-CBC3-SHA",)),
    "TLSv1_2016": TlsPolicy("TLSv1_2016", _V1, _GCM_AND_CHACHA + _CBC_SHA2 + _CBC_SHA1 + _LEGACY),
    "TLSv1.1_2016": TlsPolicy(
        "TLSv1.1_2016", ssl.TLSVersion.TLSv1_1, _GCM_AND_CHACHA + _CBC_SHA2 + _CBC_SHA1 + _LEGACY
    ),
    "TLSv1.2_2018": TlsPolicy(
        "TLSv1.2_2018", ssl.TLSVersion.TLSv1_2, _GCM_AND_CHACHA + _CBC_SHA2 + _LEGACY[:3]
    ),
    "TLSv1.2_2019": TlsPolicy("TLSv1.2_2019", ssl.TLSVersion.TLSv1_2, _GCM_AND_CHACHA + _CBC_SHA2),
    "TLSv1.2_2021": TlsPolicy("TLSv1.2_2021", ssl.TLSVersion.TLSv1_2, _GCM_AND_CHACHA),
    "TLSv1.2_2025": TlsPolicy(
        "TLSv1.2_2025", ssl.TLSVersion.TLSv1_2, _GCM_AND_CHACHA[:2] + _GCM_AND_CHACHA[3:5]
    ),
    "TLSv1.3_2025": TlsPolicy("TLSv1.3_2025", ssl.TLSVersion.TLSv1_3, _GCM_AND_CHACHA),
}


def viewer_policy(minimum_protocol_version: str | None) -> TlsPolicy:
    """The policy of a distribution's ``MinimumProtocolVersion`` (CloudFront's default: TLSv1)."""
    known = MINIMUM_PROTOCOL_VERSIONS.get(minimum_protocol_version or "TLSv1")
    if known is None:
        log.warning(
            "minimum protocol version %s is not known locally: TLS 1.2 and later", minimum_protocol_version
        )
        return MINIMUM_PROTOCOL_VERSIONS["TLSv1.2_2021"]
    return known

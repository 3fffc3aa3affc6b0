"""Response headers policies as the headers they add, from either spelling of a policy: the
CloudFront API's (PascalCase, from the control plane) or the Terraform state's (snake_case blocks).

Pure translation, no I/O: ``loader`` decides which source each policy is read from.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from local.services.cloudfront.models import PolicyHeader

# Reads a field by its API name from a config in the spelling in use.
_Key = Callable[[Mapping[str, Any], str], Any]


def from_api(config: Mapping[str, Any]) -> list[PolicyHeader]:
    """The headers of a ``ResponseHeadersPolicyConfig`` as the CloudFront API returns it."""
    out = _security_headers(config.get("SecurityHeadersConfig") or {}, _api_key)
    for item in (config.get("CustomHeadersConfig") or {}).get("Items") or []:
        out.append((item["Header"], item["Value"], bool(item.get("Override"))))
    return out


def from_state(attributes: Mapping[str, Any]) -> list[PolicyHeader]:
    """The headers of an ``aws_cloudfront_response_headers_policy`` as the Terraform state holds it."""
    security = (attributes.get("security_headers_config") or [{}])[0]
    out = _security_headers(security, _state_key)
    for block in attributes.get("custom_headers_config") or []:
        for item in block.get("items") or []:
            out.append((item["header"], item["value"], bool(item.get("override"))))
    return out


def _security_headers(config: Mapping[str, Any], key: _Key) -> list[PolicyHeader]:
    """(name, value, override) from a security headers config, either API (PascalCase) or state
    (snake_case) spelling; ``key`` maps an API name to the spelling in use."""
    out = []
    if csp := key(config, "ContentSecurityPolicy"):
        out.append(("Content-Security-Policy", key(csp, "ContentSecurityPolicy"), bool(key(csp, "Override"))))
    if hsts := key(config, "StrictTransportSecurity"):
        value = f"max-age={key(hsts, 'AccessControlMaxAgeSec')}"
        if key(hsts, "IncludeSubdomains"):
            value += "; includeSubDomains"
        if key(hsts, "Preload"):
            value += "; preload"
        out.append(("Strict-Transport-Security", value, bool(key(hsts, "Override"))))
    if options := key(config, "ContentTypeOptions"):
        out.append(("X-Content-Type-Options", "nosniff", bool(key(options, "Override"))))
    if frame := key(config, "FrameOptions"):
        out.append(("X-Frame-Options", key(frame, "FrameOption"), bool(key(frame, "Override"))))
    if referrer := key(config, "ReferrerPolicy"):
        out.append(("Referrer-Policy", key(referrer, "ReferrerPolicy"), bool(key(referrer, "Override"))))
    if xss := key(config, "XSSProtection"):
        value = "1" if key(xss, "Protection") else "0"
        if key(xss, "ModeBlock"):
            value += "; mode=block"
        elif report := key(xss, "ReportUri"):
            value += f"; report={report}"
        out.append(("X-XSS-Protection", value, bool(key(xss, "Override"))))
    return out


def _api_key(container: Mapping[str, Any], name: str) -> Any:
    return container.get(name)


def _snake(name: str) -> str:
    special = {"XSSProtection": "xss_protection", "IncludeSubdomains": "include_subdomains"}
    return special.get(name) or re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _state_key(container: Mapping[str, Any], name: str) -> Any:
    value = container.get(_snake(name))
    # Terraform blocks are lists of one object.
    return value[0] if isinstance(value, list) and value and isinstance(value[0], dict) else value

"""The Lambda proxy integration event, payload format 1.0, as API Gateway REST APIs send it.

Shape and quirks follow AWS: ``headers``/``queryStringParameters`` hold the last value of a repeated
name and the ``multiValue*`` twins hold them all; absent parts are ``null``, not ``{}``; ``path`` is
the raw (still percent-encoded) path while ``pathParameters`` and query values are decoded;
``requestContext.path`` includes the stage; the body is base64 only when its Content-Type matches
one of the API's binary media types.
Reference: https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-lambda-proxy-integrations.html
"""

from __future__ import annotations

import base64
import binascii
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple
from urllib.parse import parse_qsl

from local import ids


class RequestIds(NamedTuple):  # one per request: a tuple is built in a third of a frozen dataclass's time
    request_id: str  # requestContext.requestId, x-amzn-RequestId
    extended_request_id: str  # requestContext.extendedRequestId, x-amz-apigw-id
    trace_id: str  # X-Amzn-Trace-Id root

    @classmethod
    def new(cls, incoming_trace_header: str | None = None) -> RequestIds:
        # 80 random bits as API Gateway shows them: 14 base64 characters and "=".
        extended = binascii.b2a_base64(ids.random_bits(80).to_bytes(10), newline=False)[:14].decode() + "="
        if incoming_trace_header and (root := _trace_root(incoming_trace_header)):
            return cls(ids.request_id(), extended, root)
        return cls(ids.request_id(), extended, ids.trace_root())


def _trace_root(header: str) -> str | None:
    """Continue the caller's trace, as API Gateway does when X-Amzn-Trace-Id carries a Root."""
    for part in header.split(";"):
        if part.strip().startswith("Root="):
            return part.strip()
    return None


def media_type(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def matches_media_type(content_type: str | None, patterns: Sequence[str]) -> bool:
    """API Gateway's binaryMediaTypes match: exact type, ``type/*`` or ``*/*``."""
    if not patterns:
        return False
    actual = media_type(content_type)
    if not actual:
        return False
    main, _, _sub = actual.partition("/")
    for pattern in patterns:
        wanted = pattern.lower()
        if wanted in (actual, "*/*") or (wanted.endswith("/*") and wanted[:-2] == main):
            return True
    return False


def multi_value(pairs: Iterable[tuple[str, str]]) -> tuple[dict[str, str], dict[str, list[str]]] | None:
    """(last value per name, all values per name), keeping the first spelling of each name."""
    single: dict[str, str] = {}
    multi: dict[str, list[str]] = {}
    for name, value in pairs:
        if name in multi:
            multi[name].append(value)
        else:
            multi[name] = [value]
        single[name] = value
    return (single, multi) if multi else None


def header_pairs(
    raw_headers: Iterable[tuple[str, str]],
    *,
    source_ip: str,
    port: int,
    trace_id: str,
    scheme: str = "http",
) -> list[tuple[str, str]]:
    """The client's headers plus the ones API Gateway adds (X-Forwarded-*, X-Amzn-Trace-Id): the
    port and scheme the client reached (on AWS always 443 and https; locally the listener's)."""
    pairs: list[tuple[str, str]] = []
    forwarded_for = None
    for name, value in raw_headers:
        lower = name.lower()
        if lower == "x-forwarded-for":
            forwarded_for = f"{value}, {source_ip}"
            continue
        if lower in ("x-forwarded-port", "x-forwarded-proto", "x-amzn-trace-id", "connection", "keep-alive"):
            continue
        pairs.append((name, value))
    pairs.append(("X-Amzn-Trace-Id", trace_id))
    pairs.append(("X-Forwarded-For", forwarded_for or source_ip))
    pairs.append(("X-Forwarded-Port", str(port)))
    pairs.append(("X-Forwarded-Proto", scheme))
    return pairs


def query_pairs(raw_query: str) -> list[tuple[str, str]]:
    return parse_qsl(raw_query, keep_blank_values=True) if raw_query else []


_request_time_cache: tuple[int, str] = (0, "")


def request_time(epoch_s: float) -> str:
    """``09/Apr/2015:12:34:56 +0000``; formatted once per second."""
    global _request_time_cache  # noqa: PLW0603 - a one-slot cache on the hot path
    second = int(epoch_s)
    if _request_time_cache[0] != second:
        _request_time_cache = (second, time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(second)))
    return _request_time_cache[1]


@dataclass(slots=True)  # not frozen: built on every request, and frozen __init__ costs
class EventContext:
    """What the server knows about the request besides its headers, query and body."""

    http_method: str
    raw_path: str  # the resource path the route matched, without stage, still percent-encoded
    request_context_path: str  # with the stage (or base path) as requested
    resource_path: str  # /v1/postcards/{id}
    resource_id: str
    path_parameters: Mapping[str, str]
    stage: str
    stage_variables: Mapping[str, str]
    deployment_id: str
    api_id: str
    account_id: str
    domain_name: str
    domain_prefix: str
    protocol: str
    source_ip: str
    user_agent: str | None
    ids: RequestIds


def build_event(
    context: EventContext,
    headers: list[tuple[str, str]],
    query: list[tuple[str, str]],
    body: bytes,
    *,
    binary: bool,
) -> dict[str, Any]:
    now = time.time()
    header_maps = multi_value(headers)
    query_maps = multi_value(query)
    if body and binary:
        event_body: str | None = base64.b64encode(body).decode()
    elif body:
        event_body = body.decode("utf-8", errors="replace")
    else:
        event_body = None
    return {
        "resource": context.resource_path,
        "path": context.raw_path,
        "httpMethod": context.http_method,
        "headers": header_maps[0] if header_maps else None,
        "multiValueHeaders": header_maps[1] if header_maps else None,
        "queryStringParameters": query_maps[0] if query_maps else None,
        "multiValueQueryStringParameters": query_maps[1] if query_maps else None,
        "pathParameters": dict(context.path_parameters) or None,
        "stageVariables": dict(context.stage_variables) or None,
        "requestContext": {
            "resourceId": context.resource_id,
            "resourcePath": context.resource_path,
            "httpMethod": context.http_method,
            "extendedRequestId": context.ids.extended_request_id,
            "requestTime": request_time(now),
            "path": context.request_context_path,
            "accountId": context.account_id,
            "protocol": context.protocol,
            "stage": context.stage,
            "domainPrefix": context.domain_prefix,
            "requestTimeEpoch": int(now * 1000),
            "requestId": context.ids.request_id,
            "identity": {  # a literal: built faster than a copy, in the order AWS sends
                "cognitoIdentityPoolId": None,
                "accountId": None,
                "cognitoIdentityId": None,
                "caller": None,
                "sourceIp": context.source_ip,
                "principalOrgId": None,
                "accessKey": None,
                "cognitoAuthenticationType": None,
                "cognitoAuthenticationProvider": None,
                "userArn": None,
                "userAgent": context.user_agent,
                "user": None,
            },
            "domainName": context.domain_name,
            "deploymentId": context.deployment_id,
            "apiId": context.api_id,
        },
        "body": event_body,
        "isBase64Encoded": bool(body) and binary,
    }

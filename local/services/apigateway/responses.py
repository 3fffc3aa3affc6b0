"""From a Lambda proxy response, or a gateway error, to the HTTP response API Gateway sends.

Two kinds of response leave the gateway: what the integration answered (mapped here from the Lambda
proxy response format) and what API Gateway itself answers on errors — "gateway responses", each of a
type with a default status and a ``{"message": …}`` body that the API may customise
(https://docs.aws.amazon.com/apigateway/latest/developerguide/supported-gateway-response-types.html).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from local.services.apigateway.events import matches_media_type
from local.services.apigateway.models import GatewayResponse

_ALLOWED_KEYS = frozenset({"statusCode", "headers", "multiValueHeaders", "body", "isBase64Encoded"})
# Headers API Gateway (REST) does not pass through from an integration but renames to
# x-amzn-Remapped-<name>, because it sets its own (api-gateway-known-issues.html, REST notes).
_REMAPPED = frozenset({"connection", "content-length", "date", "server", "transfer-encoding"})


class MalformedProxyResponse(ValueError):
    """The function's answer is not a valid proxy response: API Gateway logs
    "Malformed Lambda proxy response" and answers 502."""


@dataclass(slots=True)  # one per request: not frozen, frozen __init__ costs
class HttpResponse:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    raise MalformedProxyResponse(f"header value {value!r} is not a string, number or boolean")


def _status(value: Any) -> int:
    if type(value) is int:  # not bool, which is an int too
        status = value
    elif isinstance(value, str) and value.isdigit():
        status = int(value)
    else:
        raise MalformedProxyResponse(f"statusCode {value!r} is not an integer")
    if not 100 <= status <= 599:
        raise MalformedProxyResponse(f"statusCode {status} is not an HTTP status")
    return status


def from_lambda_proxy(
    payload: bytes, *, binary_media_types: Sequence[str] = (), accept: str | None = None
) -> HttpResponse:
    """Map a proxy response; raise ``MalformedProxyResponse`` where API Gateway would answer 502.

    A base64 body is decoded when the API declares a binary media type matching the request's
    Accept or the response's Content-Type; otherwise API Gateway passes the base64 text through,
    and so do we.
    """
    try:
        document = orjson.loads(payload)
    except orjson.JSONDecodeError as error:
        raise MalformedProxyResponse(f"not JSON: {error}") from error
    if not isinstance(document, dict):
        raise MalformedProxyResponse("not a JSON object")
    if not document.keys() <= _ALLOWED_KEYS:  # no set built unless something is wrong
        raise MalformedProxyResponse(f"unexpected field(s) {sorted(document.keys() - _ALLOWED_KEYS)}")
    if "statusCode" not in document:
        raise MalformedProxyResponse("no statusCode")
    status = _status(document["statusCode"])
    single, multi = document.get("headers"), document.get("multiValueHeaders")
    headers = _merged_headers(single, multi) if single or multi else []
    content_type = None
    for name, value in headers:
        if len(name) == 12 and name.lower() == "content-type":
            content_type = value
            break
    is_base64 = document.get("isBase64Encoded")
    binary = bool(is_base64) and (
        matches_media_type(accept, binary_media_types) or matches_media_type(content_type, binary_media_types)
    )
    body = _body(document.get("body"), is_base64, decode_base64=binary)
    if content_type is None:
        headers.append(("Content-Type", "application/json"))
    return HttpResponse(status, headers, body)


def _merged_headers(single: Any, multi: Any) -> list[tuple[str, str]]:
    """headers + multiValueHeaders in one list; where a name is in both, only the
    multiValueHeaders values are kept (as AWS documents)."""
    single = single or {}
    multi = multi or {}
    if not isinstance(single, dict) or not isinstance(multi, dict):
        raise MalformedProxyResponse("headers / multiValueHeaders must be objects")
    headers: list[tuple[str, str]] = []
    multi_names = {name.lower() for name in multi} if multi else ()
    for name, raw in single.items():
        lower = name.lower()
        if lower not in multi_names:
            value = raw if type(raw) is str else _scalar(raw)
            headers.append((f"x-amzn-Remapped-{name}", value) if lower in _REMAPPED else (name, value))
    for name, values in multi.items():
        if not isinstance(values, list):
            raise MalformedProxyResponse(f"multiValueHeaders[{name!r}] is not a list")
        out_name = f"x-amzn-Remapped-{name}" if name.lower() in _REMAPPED else name
        headers.extend((out_name, _scalar(v)) for v in values)
    return headers


def _body(body: Any, is_base64: Any, *, decode_base64: bool) -> bytes:
    if body is not None and not isinstance(body, str):
        raise MalformedProxyResponse("body must be a string")
    if is_base64 is not None and not isinstance(is_base64, bool):
        raise MalformedProxyResponse("isBase64Encoded must be a boolean")
    raw = (body or "").encode()
    if is_base64 and raw and decode_base64:
        try:
            return base64.b64decode(raw, validate=True)
        except binascii.Error as error:
            raise MalformedProxyResponse(f"body is not valid base64: {error}") from error
    return raw


@dataclass(frozen=True)
class GatewayError:
    """One of API Gateway's own responses (a gateway response type)."""

    response_type: str
    status: int
    message: str
    error_type: str  # x-amzn-ErrorType
    validation_error: str = ""


# The gateway responses this data plane produces, with AWS's default status and message.
MISSING_AUTHENTICATION_TOKEN = GatewayError(
    "MISSING_AUTHENTICATION_TOKEN", 403, "Missing Authentication Token", "MissingAuthenticationTokenException"
)
INVALID_API_KEY = GatewayError("INVALID_API_KEY", 403, "Forbidden", "ForbiddenException")
THROTTLED = GatewayError("THROTTLED", 429, "Too Many Requests", "TooManyRequestsException")
REQUEST_TOO_LARGE = GatewayError("REQUEST_TOO_LARGE", 413, "Request Too Long", "RequestTooLargeException")
INTEGRATION_TIMEOUT = GatewayError(
    "INTEGRATION_TIMEOUT", 504, "Endpoint request timed out", "InternalServerErrorException"
)
# A function error or a malformed proxy response: 502. The Lambda service refusing the Invoke
# (throttled with 429 TooManyRequestsException, function not found, …): 500. Both with
# {"message": "Internal server error"}, API Gateway never passes Lambda's 429 on:
# https://docs.aws.amazon.com/lambda/latest/dg/services-apigateway-errors.html
BAD_GATEWAY = GatewayError("DEFAULT_5XX", 502, "Internal server error", "InternalServerErrorException")
INVOKE_REJECTED = GatewayError("DEFAULT_5XX", 500, "Internal server error", "InternalServerErrorException")
# An HTTP integration that cannot be reached.
INTEGRATION_FAILURE = GatewayError(
    "INTEGRATION_FAILURE", 504, "Internal server error", "InternalServerErrorException"
)


def bad_request_body(validation_error: str) -> GatewayError:
    return GatewayError(
        "BAD_REQUEST_BODY", 400, "Invalid request body", "BadRequestException", validation_error
    )


def bad_request_parameters(missing: Sequence[str]) -> GatewayError:
    message = f"Missing required request parameters: [{', '.join(missing)}]"
    return GatewayError("BAD_REQUEST_PARAMETERS", 400, message, "BadRequestException", message)


_DEFAULT_FAMILY = {4: "DEFAULT_4XX", 5: "DEFAULT_5XX"}
_TEMPLATE_VARIABLE = re.compile(
    r"\$(?:\{(context\.[\w.]+|stageVariables\.\w+)\}|(context\.[\w.]+|stageVariables\.\w+))"
)


def render_gateway_error(
    error: GatewayError,
    customised: Mapping[str, GatewayResponse],
    *,
    context: Mapping[str, str],
    request_headers: Mapping[str, str],
    stage_variables: Mapping[str, str],
) -> HttpResponse:
    """Apply the API's gateway response for the type (or its DEFAULT_4XX/5XX family) to ``error``.

    ``context`` holds $context values (requestId, …); ``request_headers`` finds names
    case-insensitively (lower-case keys, or a CIMultiDict). Templates support the ``$context.*``
    and ``$stageVariables.*`` references gateway response templates use in practice (no VTL
    directives).
    """
    custom = customised.get(error.response_type) or customised.get(
        _DEFAULT_FAMILY.get(error.status // 100, "")
    )
    status = custom.status_code if custom and custom.status_code else error.status
    variables = {
        "context.error.message": error.message,
        "context.error.messageString": json.dumps(error.message),
        "context.error.responseType": error.response_type,
        "context.error.validationErrorString": error.validation_error,
        **{f"context.{k}": v for k, v in context.items()},
        **{f"stageVariables.{k}": v for k, v in stage_variables.items()},
    }
    template = None
    if custom:
        template = custom.response_templates.get("application/json") or next(
            iter(custom.response_templates.values()), None
        )
    if template is None:
        body = json.dumps({"message": error.message}).encode()
    else:
        body = _TEMPLATE_VARIABLE.sub(lambda m: variables.get(m[1] or m[2], ""), template).encode()
    headers = [("Content-Type", "application/json"), ("x-amzn-ErrorType", error.error_type)]
    if custom:
        for key, source in custom.response_parameters.items():
            name = key.removeprefix("gatewayresponse.header.")
            value = parameter_value(source, request_headers=request_headers, stage_variables=stage_variables)
            if value is not None:
                headers.append((name, value))
    return HttpResponse(status, headers, body)


def parameter_value(
    source: str,
    *,
    request_headers: Mapping[str, str],
    stage_variables: Mapping[str, str],
    query: Mapping[str, str] | None = None,
    path: Mapping[str, str] | None = None,
) -> str | None:
    """Resolve a mapping expression: ``'static'``, ``method.request.header.X``, ``…querystring.X``,
    ``…path.X`` or ``stageVariables.X``; None when the referenced value is absent."""
    if len(source) >= 2 and source.startswith("'") and source.endswith("'"):
        return source[1:-1]
    prefix, _, name = source.rpartition(".")
    if prefix == "method.request.header":
        return request_headers.get(name.lower())
    if prefix == "method.request.querystring":
        return (query or {}).get(name)
    if prefix == "method.request.path":
        return (path or {}).get(name)
    if prefix == "stageVariables":
        return stage_variables.get(name)
    return None

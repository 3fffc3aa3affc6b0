"""Reading requests and writing responses the same way in every route."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Final

from aws_lambda_powertools.event_handler import Response

from postcards.errors import ApiError, bad_request
from postcards.request_body import read_json

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.data_classes.common import BaseProxyEvent

JSON = "application/json"
_DIGITS: Final = re.compile(r"[0-9]{1,9}")


def request_id(event: BaseProxyEvent) -> str | None:
    """API Gateway's id of the request: what a client can quote, and the logs' correlation id."""
    context = event.get("requestContext") or {}
    value = context.get("requestId")
    return value if isinstance(value, str) else None


def query_integer(raw: str | None, name: str, *, minimum: int, maximum: int, default: int) -> int:
    """A query parameter that must be a whole number in ``minimum..maximum`` (absent or empty:
    ``default``); anything else is a 400 that says what is allowed."""
    if not raw:
        return default
    if not _DIGITS.fullmatch(raw) or not minimum <= int(raw) <= maximum:
        raise bad_request(f"{name} must be an integer from {minimum} to {maximum}", "invalid_query")
    return int(raw)


def json_body(event: BaseProxyEvent) -> Any:
    return read_json(event.headers.get("content-type"), event.body, is_base64=bool(event.is_base64_encoded))


def created(
    event: BaseProxyEvent, path: str, body: dict[str, Any] | str, headers: dict[str, str] | None = None
) -> Response[Any]:
    """201 with a Location that works from where the client called us (see ``base_path``)."""
    return Response(201, JSON, body, headers={"Location": base_path(event) + path, **(headers or {})})


def base_path(event: BaseProxyEvent) -> str:
    """What precedes our routes in the URL the client used: ``/<stage>`` through the execute-api
    endpoint, the base path mapping's prefix (usually nothing) through the custom domain."""
    context = event.get("requestContext") or {}
    requested, routed = context.get("path"), event.get("path")
    if isinstance(requested, str) and isinstance(routed, str) and requested.endswith(routed):
        return requested[: len(requested) - len(routed)]
    return ""


def error(problem: ApiError, event: BaseProxyEvent) -> Response[Any]:
    return Response(problem.status, JSON, problem.body(request_id(event)), headers=problem.headers)

"""Reading requests and writing responses the same way in every route."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.event_handler import Response

from postcards.errors import ApiError
from postcards.request_body import read_json

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.data_classes.common import BaseProxyEvent

JSON = "application/json"


def request_id(event: BaseProxyEvent) -> str | None:
    """API Gateway's id of the request: what a client can quote, and the logs' correlation id."""
    context = event.get("requestContext") or {}
    value = context.get("requestId")
    return value if isinstance(value, str) else None


def json_body(event: BaseProxyEvent) -> Any:
    return read_json(event.headers.get("content-type"), event.body, is_base64=bool(event.is_base64_encoded))


def created(
    location: str, body: dict[str, Any] | str, headers: dict[str, str] | None = None
) -> Response[Any]:
    return Response(201, JSON, body, headers={"Location": location, **(headers or {})})


def error(problem: ApiError, event: BaseProxyEvent) -> Response[Any]:
    return Response(problem.status, JSON, problem.body(request_id(event)), headers=problem.headers)

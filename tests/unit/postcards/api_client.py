"""Calling the postcards handler as API Gateway and Lambda do.

``rest_event`` builds a REST API (v1) proxy event as API Gateway sends it for a greedy
``/v1/{proxy+}`` resource: single- and multi-value headers and query parameters, ``null`` where API
Gateway sends null, and a requestContext with requestId, stage, resourcePath, httpMethod and path.
``ApiClient`` sends such events to ``lambda_handler`` with a fake Lambda context and reads the proxy
response back (status, case-insensitive headers, JSON body).
"""

from __future__ import annotations

import base64
import itertools
import json
import uuid
from dataclasses import dataclass
from types import ModuleType
from typing import Any
from urllib.parse import unquote, urlsplit

from tests.unit.lambda_context import FakeLambdaContext

SITE_ORIGIN = "https://www.example.test"
STAGE = "live"
_counter = itertools.count(1)


def rest_event(
    method: str,
    target: str,
    *,
    headers: dict[str, str | list[str]] | None = None,
    body: str | bytes | None = None,
    base64_body: bool = False,
    request_id: str | None = None,
    via_stage_url: bool = False,
) -> dict[str, Any]:
    """A REST API proxy event for ``method target`` (target = path plus optional query string),
    as called through the custom domain, or through ``https://<api>.execute-api…/<stage>/…`` with
    ``via_stage_url`` (then requestContext.path carries the stage)."""
    split = urlsplit(target)
    path = split.path
    multi_headers = {
        name: value if isinstance(value, list) else [value] for name, value in (headers or {}).items()
    }
    multi_query: dict[str, list[str]] = {}
    for pair in filter(None, split.query.split("&")):
        name, _, value = pair.partition("=")
        # API Gateway hands the function URL-decoded names and values.
        multi_query.setdefault(unquote(name), []).append(unquote(value))
    if isinstance(body, bytes) or (base64_body and body is not None):
        raw = body if isinstance(body, bytes) else body.encode()
        body, base64_body = base64.b64encode(raw).decode(), True
    request_id = request_id or f"req-{next(_counter):06d}-{uuid.uuid4().hex[:8]}"
    return {
        "resource": "/v1/{proxy+}",
        "path": path,
        "httpMethod": method,
        # API Gateway sends the last value of a repeated header or parameter in the single-value maps.
        "headers": {name: values[-1] for name, values in multi_headers.items()} or None,
        "multiValueHeaders": multi_headers or None,
        "queryStringParameters": {name: values[-1] for name, values in multi_query.items()} or None,
        "multiValueQueryStringParameters": multi_query or None,
        "pathParameters": {"proxy": path.removeprefix("/v1/")},
        "stageVariables": None,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "a1b2c3d4e5",
            "domainName": "api.example.test",
            "domainPrefix": "api",
            "extendedRequestId": f"ext-{request_id}",
            "httpMethod": method,
            "identity": {"sourceIp": "203.0.113.7", "userAgent": "pytest"},
            "path": f"/{STAGE}{path}" if via_stage_url else path,
            "protocol": "HTTP/1.1",
            "requestId": request_id,
            "requestTime": "31/Jan/2026:12:00:00 +0000",
            "requestTimeEpoch": 1769860800000,
            "resourceId": "abc123",
            "resourcePath": "/v1/{proxy+}",
            "stage": STAGE,
        },
        "body": body,
        "isBase64Encoded": base64_body,
    }


@dataclass
class Reply:
    status: int
    headers: dict[str, str]  # lower-cased names, values joined as HTTP would
    body: str
    request_id: str

    @property
    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def error(self) -> dict[str, Any]:
        """The error object of an error reply, checked to have the documented shape."""
        error = self.json["error"]
        assert set(error) <= {"code", "message", "request_id", "details"}
        assert isinstance(error["code"], str)
        assert isinstance(error["message"], str)
        assert error["request_id"] == self.request_id
        return error


class ApiClient:
    def __init__(self, handler: ModuleType, context: FakeLambdaContext | None = None) -> None:
        self.handler = handler
        self.context = context or FakeLambdaContext()

    def send(self, event: dict[str, Any]) -> Reply:
        response = self.handler.lambda_handler(event, self.context)
        assert set(response) <= {"statusCode", "body", "isBase64Encoded", "headers", "multiValueHeaders"}
        headers = {name.lower(): ", ".join(values) for name, values in response["multiValueHeaders"].items()}
        headers.update({name.lower(): value for name, value in (response.get("headers") or {}).items()})
        return Reply(
            status=response["statusCode"],
            headers=headers,
            body=response.get("body") or "",
            request_id=event["requestContext"]["requestId"],
        )

    def request(
        self,
        method: str,
        target: str,
        *,
        json_body: Any = None,
        headers: dict[str, str | list[str]] | None = None,
        body: str | bytes | None = None,
        origin: str | None = SITE_ORIGIN,
    ) -> Reply:
        all_headers: dict[str, str | list[str]] = {"Accept": "application/json"}
        if origin:
            all_headers["Origin"] = origin
        if json_body is not None:
            all_headers["Content-Type"] = "application/json"
            body = json.dumps(json_body)
        all_headers.update(headers or {})
        return self.send(rest_event(method, target, headers=all_headers, body=body))

    def get(self, target: str, **kwargs: Any) -> Reply:
        return self.request("GET", target, **kwargs)

    def post(self, target: str, json_body: Any = None, **kwargs: Any) -> Reply:
        return self.request("POST", target, json_body=json_body, **kwargs)

"""A direct invoke (``aws lambda invoke``, a console test event) with an event that API Gateway
would never send: a clear 400 in the API's error shape, not a KeyError from inside the resolver."""

from __future__ import annotations

import json
from types import ModuleType
from typing import Any

import pytest

from tests.unit.postcards.api_client import FakeLambdaContext


@pytest.mark.parametrize(
    "event",
    [
        {},  # what `aws lambda invoke` sends without --payload
        {"key1": "value1", "key2": "value2"},  # the console's "hello-world" test event
        {"httpMethod": "GET"},  # no path
        {"httpMethod": 7, "path": "/v1/health"},
        {"Records": [{"eventSource": "aws:s3"}]},  # another service's event
        [],
        "ping",
        None,
    ],
)
def test_an_event_that_is_not_a_rest_proxy_event_gets_a_clear_400(
    handler: ModuleType, tables: Any, event: Any
) -> None:
    context = FakeLambdaContext()

    response = handler.lambda_handler(event, context)

    assert response["statusCode"] == 400
    assert response["multiValueHeaders"]["Content-Type"] == ["application/json"]
    error = json.loads(response["body"])["error"]
    assert error["code"] == "not_an_api_gateway_event"
    assert "API Gateway REST API proxy events" in error["message"]
    assert error["request_id"] == context.aws_request_id
    assert tables.postcards() == []


def test_a_minimal_proxy_event_is_still_served(handler: ModuleType) -> None:
    # The two fields the check asks for are enough for a route that reads nothing else.
    response = handler.lambda_handler({"httpMethod": "GET", "path": "/v1/health"}, FakeLambdaContext())

    assert response["statusCode"] == 200
    assert json.loads(response["body"])["status"] == "ok"

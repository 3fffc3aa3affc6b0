"""Lambda proxy responses and gateway responses on the wire."""

from __future__ import annotations

import base64
import json

import pytest

from local.services.apigateway import responses
from local.services.apigateway.models import GatewayResponse
from local.services.apigateway.responses import (
    MalformedProxyResponse,
    from_lambda_proxy,
    render_gateway_error,
)


def _payload(**document: object) -> bytes:
    return json.dumps(document).encode()


def test_headers_and_multi_value_headers_merge_with_multi_values_winning() -> None:
    response = from_lambda_proxy(
        _payload(
            statusCode=201,
            headers={"Location": "/v1/postcards/1", "X-A": "single"},
            multiValueHeaders={"x-a": ["one", "two"], "Set-Cookie": ["a=1", "b=2"]},
            body='{"id": "1"}',
        )
    )

    assert response.status == 201
    assert ("Location", "/v1/postcards/1") in response.headers
    assert [v for n, v in response.headers if n.lower() == "x-a"] == ["one", "two"]
    assert [v for n, v in response.headers if n == "Set-Cookie"] == ["a=1", "b=2"]
    assert response.body == b'{"id": "1"}'


def test_content_type_defaults_to_json_and_string_status_is_accepted() -> None:
    response = from_lambda_proxy(_payload(statusCode="204"))

    assert response.status == 204
    assert ("Content-Type", "application/json") in response.headers
    assert response.body == b""


def test_reserved_headers_are_remapped() -> None:
    response = from_lambda_proxy(_payload(statusCode=200, headers={"Date": "x", "Server": "y"}))

    names = [n for n, _ in response.headers]
    assert "x-amzn-Remapped-Date" in names
    assert "x-amzn-Remapped-Server" in names


def test_base64_body_is_decoded_when_a_binary_media_type_matches() -> None:
    png = b"\x89PNG\r\n\x1a\n"
    document = _payload(
        statusCode=200,
        headers={"Content-Type": "image/png"},
        body=base64.b64encode(png).decode(),
        isBase64Encoded=True,
    )

    assert from_lambda_proxy(document, binary_media_types=["image/*"]).body == png
    # Without a matching binary media type API Gateway passes the text through.
    assert from_lambda_proxy(document).body == base64.b64encode(png)


@pytest.mark.parametrize(
    "payload",
    [
        b"not json",
        b"[1]",
        _payload(body="x"),
        _payload(statusCode=200, body={"not": "a string"}),
        _payload(statusCode=200, extra=1),
        _payload(statusCode=99),
        _payload(statusCode=True),
        _payload(statusCode=200, headers=["x"]),
        _payload(statusCode=200, multiValueHeaders={"a": "b"}),
        _payload(statusCode=200, headers={"a": {"b": 1}}),
        _payload(statusCode=200, isBase64Encoded="yes"),
    ],
)
def test_malformed_proxy_responses_are_refused(payload: bytes) -> None:
    with pytest.raises(MalformedProxyResponse):
        from_lambda_proxy(payload)


def _render(
    error: responses.GatewayError, customised: dict[str, GatewayResponse] | None = None
) -> tuple[int, dict[str, str], object]:
    rendered = render_gateway_error(
        error,
        customised or {},
        context={"requestId": "req-1"},
        request_headers={"origin": "http://site"},
        stage_variables={"env": "local"},
    )
    return rendered.status, dict(rendered.headers), json.loads(rendered.body)


def test_default_gateway_responses_are_api_gateway_messages() -> None:
    assert _render(responses.THROTTLED)[::2] == (429, {"message": "Too Many Requests"})
    assert _render(responses.MISSING_AUTHENTICATION_TOKEN)[::2] == (
        403,
        {"message": "Missing Authentication Token"},
    )
    assert _render(responses.BAD_GATEWAY)[::2] == (502, {"message": "Internal server error"})
    assert _render(responses.INVOKE_REJECTED)[::2] == (500, {"message": "Internal server error"})
    assert _render(responses.INTEGRATION_TIMEOUT)[::2] == (504, {"message": "Endpoint request timed out"})
    assert _render(responses.REQUEST_TOO_LARGE)[0] == 413
    assert _render(responses.THROTTLED)[1]["x-amzn-ErrorType"] == "TooManyRequestsException"


def test_a_customised_type_sets_status_template_and_headers() -> None:
    customised = {
        "BAD_REQUEST_BODY": GatewayResponse(
            "BAD_REQUEST_BODY",
            422,
            {
                "gatewayresponse.header.Access-Control-Allow-Origin": "'http://site'",
                "gatewayresponse.header.X-Env": "stageVariables.env",
            },
            {
                "application/json": '{"message": $context.error.messageString, "id": "$context.requestId", '
                '"why": "$context.error.validationErrorString"}'
            },
        )
    }

    status, headers, body = _render(responses.bad_request_body("[bad]"), customised)

    assert status == 422
    assert headers["Access-Control-Allow-Origin"] == "http://site"
    assert headers["X-Env"] == "local"
    assert body == {"message": "Invalid request body", "id": "req-1", "why": "[bad]"}


def test_the_default_family_applies_when_the_type_is_not_customised() -> None:
    customised = {
        "DEFAULT_5XX": GatewayResponse(
            "DEFAULT_5XX", None, {}, {"application/json": '{"oops": "$context.error.responseType"}'}
        )
    }

    status, _, body = _render(responses.INTEGRATION_TIMEOUT, customised)

    assert status == 504
    assert body == {"oops": "INTEGRATION_TIMEOUT"}


def test_missing_parameters_message_names_them() -> None:
    assert responses.bad_request_parameters(["limit", "X-Key"]).message == (
        "Missing required request parameters: [limit, X-Key]"
    )

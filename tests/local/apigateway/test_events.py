"""The proxy event v1, field by field."""

from __future__ import annotations

import base64
import re

from local.services.apigateway.events import (
    EventContext,
    RequestIds,
    build_event,
    header_pairs,
    matches_media_type,
    query_pairs,
    request_time,
)

IDS = RequestIds(
    "11111111-2222-4333-8444-555555555555", "abcdEFGHijklmn=", "Root=1-00000000-000000000000000000000000"
)


def _context(**overrides: object) -> EventContext:
    values: dict[str, object] = {
        "http_method": "GET",
        "raw_path": "/v1/postcards/a%20b",
        "request_context_path": "/v1/v1/postcards/a%20b",
        "resource_path": "/v1/postcards/{id}",
        "resource_id": "r3",
        "path_parameters": {"id": "a b"},
        "stage": "v1",
        "stage_variables": {},
        "deployment_id": "d1",
        "api_id": "abc123",
        "account_id": "123456789012",
        "domain_name": "abc123.execute-api.localhost",
        "domain_prefix": "abc123",
        "protocol": "HTTP/1.1",
        "source_ip": "127.0.0.1",
        "user_agent": "curl/8",
        "ids": IDS,
    }
    values.update(overrides)
    return EventContext(**values)  # type: ignore[arg-type]


def test_absent_query_and_stage_variables_are_null_not_empty() -> None:
    event = build_event(_context(), [("Host", "h")], [], b"", binary=False)

    assert event["queryStringParameters"] is None
    assert event["multiValueQueryStringParameters"] is None
    assert event["stageVariables"] is None
    assert event["body"] is None
    assert event["isBase64Encoded"] is False


def test_repeated_names_keep_the_last_value_and_all_values() -> None:
    event = build_event(
        _context(),
        [("Accept", "a"), ("X-Tag", "1"), ("X-Tag", "2")],
        query_pairs("limit=3&limit=4&q=a%20b+c"),
        b"",
        binary=False,
    )

    assert event["headers"] == {"Accept": "a", "X-Tag": "2"}
    assert event["multiValueHeaders"] == {"Accept": ["a"], "X-Tag": ["1", "2"]}
    assert event["queryStringParameters"] == {"limit": "4", "q": "a b c"}
    assert event["multiValueQueryStringParameters"] == {"limit": ["3", "4"], "q": ["a b c"]}


def test_path_stays_encoded_and_path_parameters_are_decoded() -> None:
    event = build_event(_context(), [], [], b"", binary=False)

    assert event["path"] == "/v1/postcards/a%20b"
    assert event["pathParameters"] == {"id": "a b"}
    assert event["resource"] == "/v1/postcards/{id}"


def test_request_context_carries_ids_stage_and_identity() -> None:
    context = build_event(_context(stage_variables={"alias": "live"}), [], [], b"", binary=False)[
        "requestContext"
    ]

    assert context["requestId"] == IDS.request_id
    assert context["extendedRequestId"] == IDS.extended_request_id
    assert context["stage"] == "v1"
    assert context["path"] == "/v1/v1/postcards/a%20b"
    assert context["resourcePath"] == "/v1/postcards/{id}"
    assert context["identity"]["sourceIp"] == "127.0.0.1"
    assert context["identity"]["userAgent"] == "curl/8"
    assert context["identity"]["accountId"] is None
    assert context["domainName"] == "abc123.execute-api.localhost"
    assert context["apiId"] == "abc123"
    assert isinstance(context["requestTimeEpoch"], int)
    assert re.fullmatch(r"\d\d/[A-Z][a-z]{2}/\d{4}:\d\d:\d\d:\d\d \+0000", context["requestTime"])


def test_text_body_is_a_string_and_binary_body_is_base64() -> None:
    text = build_event(_context(http_method="POST"), [], [], '{"a": "é"}'.encode(), binary=False)
    binary = build_event(_context(http_method="POST"), [], [], b"\x89PNG\x00", binary=True)

    assert text["body"] == '{"a": "é"}'
    assert text["isBase64Encoded"] is False
    assert base64.b64decode(binary["body"]) == b"\x89PNG\x00"
    assert binary["isBase64Encoded"] is True


def test_gateway_adds_forwarding_headers_and_appends_to_x_forwarded_for() -> None:
    pairs = header_pairs(
        [("X-Forwarded-For", "203.0.113.9"), ("Connection", "keep-alive"), ("Accept", "*/*")],
        source_ip="127.0.0.1",
        port=4580,
        trace_id=IDS.trace_id,
    )

    headers = dict(pairs)
    assert headers["X-Forwarded-For"] == "203.0.113.9, 127.0.0.1"
    assert headers["X-Forwarded-Port"] == "4580"
    assert headers["X-Forwarded-Proto"] == "http"
    assert headers["X-Amzn-Trace-Id"] == IDS.trace_id
    assert "Connection" not in headers


def test_request_ids_are_fresh_and_continue_a_caller_trace() -> None:
    first, second = RequestIds.new(), RequestIds.new("Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1")

    assert first.request_id != second.request_id
    assert re.fullmatch(
        r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", first.request_id
    )
    assert re.fullmatch(r"[A-Za-z0-9+/]{14}=", first.extended_request_id)
    assert re.fullmatch(r"Root=1-[0-9a-f]{8}-[0-9a-f]{24}", first.trace_id)
    assert second.trace_id == "Root=1-5759e988-bd862e3fe1be46a994272793"
    assert RequestIds.new("Sampled=1").trace_id.startswith("Root=1-")  # no Root to continue: a new one


def test_binary_media_type_patterns_match_like_api_gateway() -> None:
    assert matches_media_type("image/png", ["image/*"])
    assert matches_media_type("application/octet-stream; x=1", ["application/octet-stream"])
    assert matches_media_type("text/plain", ["*/*"])
    assert not matches_media_type("application/json", ["image/*"])
    assert not matches_media_type(None, ["*/*"])


def test_request_time_is_api_gateway_format() -> None:
    assert request_time(0) == "01/Jan/1970:00:00:00 +0000"

"""Access log formats and destinations."""

from __future__ import annotations

import json

from local.services.apigateway.access_logs import AccessLogFormat, log_group_of

TERRAFORM_FORMAT = json.dumps(
    {
        "requestId": "$context.requestId",
        "ip": "$context.identity.sourceIp",
        "status": "$context.status",
        "errorMessage": "$context.error.message",
    }
)


def test_a_json_format_renders_each_variable_and_dashes_for_missing_ones() -> None:
    line = AccessLogFormat.compile(TERRAFORM_FORMAT).render(
        {"requestId": "r-1", "identity.sourceIp": "127.0.0.1", "status": 201}
    )

    assert json.loads(line) == {"requestId": "r-1", "ip": "127.0.0.1", "status": "201", "errorMessage": "-"}


def test_common_log_format_style_with_braces() -> None:
    line = AccessLogFormat.compile("${context.httpMethod} $context.path -> $context.status").render(
        {"httpMethod": "GET", "path": "/v1/x", "status": 200}
    )

    assert line == "GET /v1/x -> 200"


def test_log_group_from_destination_arn() -> None:
    assert log_group_of("arn:aws:logs:us-east-1:123456789012:log-group:/aws/apigateway/postcards") == (
        "/aws/apigateway/postcards"
    )
    assert log_group_of("arn:aws:logs:us-east-1:123456789012:log-group:/x:*") == "/x"
    assert log_group_of("arn:aws:firehose:us-east-1:123456789012:deliverystream/x") is None


def test_access_log_streams_reuse_one_stream_per_group_and_name() -> None:
    from local.services.apigateway.access_logs import AccessLogStreams

    class Sink:
        def __init__(self) -> None:
            self.streams: list[tuple[str, str, str, list[str]]] = []

        def stream(self, label: str, group: str, name: str) -> object:
            lines: list[str] = []
            self.streams.append((label, group, name, lines))

            class Stream:
                def write(self, message: str) -> None:
                    lines.append(message)

            return Stream()

    sink = Sink()
    write = AccessLogStreams(sink, label="API Gateway")

    write("/g", "api_v1", "one")
    write("/g", "api_v1", "two")
    write("/g", "api_v2", "three")

    assert sink.streams == [
        ("API Gateway", "/g", "api_v1", ["one", "two"]),
        ("API Gateway", "/g", "api_v2", ["three"]),
    ]

"""OTLP/HTTP traces, protobuf and JSON, turned into X-Ray segments beside the SDK's."""

from __future__ import annotations

import gzip
import json

import pytest
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2
from opentelemetry.proto.trace.v1 import trace_pb2

from local.services.xray import otlp
from local.services.xray.store import TraceStore

OTEL_TRACE = "5b8efff798038103d269b633813fc60c"
XRAY_TRACE = "1-5b8efff7-98038103d269b633813fc60c"
SERVER_SPAN, CLIENT_SPAN, INTERNAL_SPAN = "eee19b7ec3c1b174", "eee19b7ec3c1b175", "eee19b7ec3c1b176"
START_NS = 1_700_000_000_000_000_000


def _attribute(message, key, value):
    attribute = message.attributes.add()
    attribute.key = key
    if isinstance(value, bool):
        attribute.value.bool_value = value
    elif isinstance(value, int):
        attribute.value.int_value = value
    elif isinstance(value, list):
        for item in value:
            attribute.value.array_value.values.add().string_value = item
    else:
        attribute.value.string_value = value


def export_request() -> trace_service_pb2.ExportTraceServiceRequest:
    """A Lambda function moved to OpenTelemetry: its server span, a DynamoDB call and an internal step."""
    request = trace_service_pb2.ExportTraceServiceRequest()
    resource_spans = request.resource_spans.add()
    _attribute(resource_spans.resource, "service.name", "postcards")
    _attribute(resource_spans.resource, "cloud.platform", "aws_lambda")
    spans = resource_spans.scope_spans.add().spans

    server = spans.add()
    server.trace_id = bytes.fromhex(OTEL_TRACE)
    server.span_id = bytes.fromhex(SERVER_SPAN)
    server.parent_span_id = bytes.fromhex("aaaaaaaaaaaaaaaa")  # the gateway's segment, a remote parent
    server.name = "GET /v1/postcards"
    server.kind = trace_pb2.Span.SPAN_KIND_SERVER
    server.start_time_unix_nano = START_NS
    server.end_time_unix_nano = START_NS + 80_000_000
    _attribute(server, "http.request.method", "GET")
    _attribute(server, "url.full", "https://api.postcards.localhost/v1/postcards")
    _attribute(server, "http.response.status_code", 500)
    _attribute(server, "postcard.count", 3)
    _attribute(server, "aws.xray.annotations", ["postcard.count"])
    server.status.code = trace_pb2.Status.STATUS_CODE_ERROR
    event = server.events.add()
    event.name = "exception"
    _attribute(event, "exception.type", "ValueError")
    _attribute(event, "exception.message", "bad postcard")

    client = spans.add()
    client.trace_id = bytes.fromhex(OTEL_TRACE)
    client.span_id = bytes.fromhex(CLIENT_SPAN)
    client.parent_span_id = bytes.fromhex(SERVER_SPAN)
    client.name = "DynamoDB.Query"
    client.kind = trace_pb2.Span.SPAN_KIND_CLIENT
    client.start_time_unix_nano = START_NS + 10_000_000
    client.end_time_unix_nano = START_NS + 20_000_000
    _attribute(client, "rpc.system", "aws-api")
    _attribute(client, "rpc.service", "DynamoDB")
    _attribute(client, "rpc.method", "Query")
    _attribute(client, "aws.dynamodb.table_names", ["postcards"])

    internal = spans.add()
    internal.trace_id = bytes.fromhex(OTEL_TRACE)
    internal.span_id = bytes.fromhex(INTERNAL_SPAN)
    internal.parent_span_id = bytes.fromhex(SERVER_SPAN)
    internal.name = "render"
    internal.kind = trace_pb2.Span.SPAN_KIND_INTERNAL
    internal.start_time_unix_nano = START_NS + 30_000_000
    internal.end_time_unix_nano = START_NS + 40_000_000
    return request


def json_export_request() -> bytes:
    """The same request in OTLP/JSON: hex ids, integer enums, int64 as strings."""
    return json.dumps(
        {
            "resourceSpans": [
                {
                    "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "worker"}}]},
                    "scopeSpans": [
                        {
                            "spans": [
                                {
                                    "traceId": OTEL_TRACE,
                                    "spanId": SERVER_SPAN,
                                    "name": "job",
                                    "kind": 1,
                                    "startTimeUnixNano": str(START_NS),
                                    "endTimeUnixNano": str(START_NS + 5_000_000),
                                    "attributes": [{"key": "http.status_code", "value": {"intValue": "429"}}],
                                }
                            ]
                        }
                    ],
                }
            ]
        }
    ).encode()


def assembled(store: TraceStore):
    trace = store.get(XRAY_TRACE)
    assert trace is not None
    return trace.assembled()


def test_protobuf_spans_become_a_segment_with_subsegments_and_an_inferred_dynamodb():
    # Given an export request in protobuf
    store = TraceStore()

    # When it is posted
    response = otlp.ingest(export_request().SerializeToString(), "application/x-protobuf", store.put)

    # Then the answer is an empty ExportTraceServiceResponse...
    assert (response.status, response.content_type) == (200, "application/x-protobuf")
    answer = trace_service_pb2.ExportTraceServiceResponse()
    answer.ParseFromString(response.body)
    assert not answer.HasField("partial_success")

    # ... and the trace is one function segment continuing the gateway's, with two subsegments
    trace = assembled(store)
    function = next(s for s in trace.segments if not s.get("inferred"))
    assert function["id"] == SERVER_SPAN
    assert function["trace_id"] == XRAY_TRACE
    assert function["name"] == "postcards"
    assert function["origin"] == "AWS::Lambda::Function"
    assert function["parent_id"] == "aaaaaaaaaaaaaaaa"
    assert function["start_time"] == START_NS / 1e9
    assert function["end_time"] == pytest.approx(START_NS / 1e9 + 0.08)
    assert function["fault"] is True
    assert function["cause"] == {"exceptions": [{"message": "bad postcard", "type": "ValueError"}]}
    assert function["http"] == {
        "request": {"method": "GET", "url": "https://api.postcards.localhost/v1/postcards"},
        "response": {"status": 500},
    }
    assert function["annotations"] == {"postcard_count": 3}
    assert function["metadata"]["default"]["postcard.count"] == 3
    dynamodb, render = function["subsegments"]
    assert (dynamodb["name"], dynamodb["namespace"]) == ("DynamoDB", "aws")
    assert dynamodb["aws"] == {"operation": "Query", "table_name": "postcards"}
    assert render["name"] == "render"
    assert "namespace" not in render
    (inferred,) = [s for s in trace.segments if s.get("inferred")]
    assert inferred["origin"] == "AWS::DynamoDB::Table"
    assert inferred["parent_id"] == CLIENT_SPAN


def test_json_spans_are_read_too_and_a_429_is_a_throttle():
    store = TraceStore()

    response = otlp.ingest(json_export_request(), "application/json; charset=utf-8", store.put)

    assert (response.status, json.loads(response.body)) == (200, {})
    (segment,) = assembled(store).segments
    assert segment["name"] == "worker"
    assert "parent_id" not in segment
    assert (segment["error"], segment["throttle"]) == (True, True)
    assert "fault" not in segment


def test_a_gzipped_request_is_read():
    store = TraceStore()

    response = otlp.ingest(gzip.compress(json_export_request()), "application/json", store.put, "gzip")

    assert response.status == 200
    assert len(store) == 1


def test_spans_x_ray_refuses_are_counted_in_a_partial_success():
    store = TraceStore()
    request = json.loads(json_export_request())
    spans = request["resourceSpans"][0]["scopeSpans"][0]["spans"]
    spans.append(dict(spans[0], spanId="short"))

    response = otlp.ingest(json.dumps(request).encode(), "application/json", store.put)

    assert response.status == 200
    partial = json.loads(response.body)["partialSuccess"]
    assert partial["rejectedSpans"] == "1"
    assert "16 hexadecimal digits" in partial["errorMessage"]
    assert len(store) == 1


def test_a_body_that_does_not_decode_is_a_400_in_the_request_encoding():
    store = TraceStore()

    as_protobuf = otlp.ingest(b"\xff\xff\xff", "application/x-protobuf", store.put)
    as_json = otlp.ingest(b"[1, 2]", "application/json", store.put)

    assert as_protobuf.status == 400
    assert as_protobuf.body.startswith(b"\x08\x03\x12")
    assert as_json.status == 400
    assert json.loads(as_json.body)["code"] == 3
    assert len(store) == 0


def test_another_content_type_is_refused():
    response = otlp.ingest(b"", "text/plain", TraceStore().put)

    assert response.status == 415


def test_otel_trace_ids_map_to_x_ray_ids():
    assert otlp.to_xray_trace_id(OTEL_TRACE) == XRAY_TRACE

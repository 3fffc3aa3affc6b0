"""The trace header and the segments the gateway and Lambda record: one joined trace."""

from __future__ import annotations

import pytest

from local.services.xray import documents, graph
from local.services.xray.tracing import (
    IntegrationCall,
    LambdaTrace,
    TraceHeader,
    api_gateway_segment,
    lambda_segments,
    new_segment_id,
    new_trace_id,
)
from tests.local.xray.support import EPOCH

ROOT = "1-5759e988-bd862e3fe1be46a994272793"
ARN = "arn:aws:lambda:us-east-1:123456789012:function:postcards:live"


@pytest.mark.parametrize(
    ("value", "parsed"),
    [
        (f"Root={ROOT};Parent=53995c3f42cd8ad8;Sampled=1", TraceHeader(ROOT, "53995c3f42cd8ad8", True)),
        (f"Root={ROOT};Sampled=0", TraceHeader(ROOT, None, False)),
        (f"Root={ROOT};Sampled=?", TraceHeader(ROOT, None, None)),
        (f"Root={ROOT}", TraceHeader(ROOT, None, None)),
        (
            f" Root={ROOT} ; Lineage=a87bd80c:0 ;Self=1-x",
            TraceHeader(ROOT, None, None, (("Lineage", "a87bd80c:0"), ("Self", "1-x"))),
        ),
        ("Root=nonsense;Sampled=1", None),
        ("Parent=53995c3f42cd8ad8", None),
        ("", None),
        (None, None),
    ],
)
def test_trace_headers_are_read_as_x_ray_writes_them(value, parsed):
    assert TraceHeader.parse(value) == parsed


def test_a_header_is_written_back_with_its_extra_fields_and_a_child_inherits_the_decision():
    header = TraceHeader.parse(f"Root={ROOT};Sampled=1;Lineage=a:0")
    assert header is not None

    assert header.format() == f"Root={ROOT};Sampled=1;Lineage=a:0"
    assert (
        header.child("53995c3f42cd8ad8").format()
        == f"Root={ROOT};Parent=53995c3f42cd8ad8;Sampled=1;Lineage=a:0"
    )
    assert TraceHeader(ROOT).child("53995c3f42cd8ad8", sampled=False).format().endswith("Sampled=0")


def test_new_ids_have_x_rays_shapes():
    assert documents.TRACE_ID.match(new_trace_id(EPOCH))
    assert new_trace_id(EPOCH)[2:10] == f"{int(EPOCH):08x}"
    assert documents.SEGMENT_ID.match(new_segment_id())


def request_through_gateway_and_lambda(error=None, cold=True):
    """The documents the gateway and the executor would send for one request."""
    incoming = TraceHeader(ROOT, sampled=True)
    call = IntegrationCall(new_segment_id(), EPOCH + 0.002, EPOCH + 0.098, function_arn=ARN, status=200)
    stage = api_gateway_segment(
        incoming,
        segment_id=new_segment_id(),
        api_name="postcards",
        rest_api_id="abc123",
        stage="v1",
        account_id="123456789012",
        region="us-east-1",
        request_id="req-1",
        start=EPOCH,
        end=EPOCH + 0.1,
        request={
            "method": "GET",
            "url": "https://api.postcards.localhost/v1/postcards",
            "client_ip": "127.0.0.1",
        },
        status=502 if error else 200,
        integration=call,
    )
    lambda_trace = LambdaTrace.start(incoming.child(call.subsegment_id), 0.0)
    segments = lambda_segments(
        lambda_trace,
        function_name="postcards",
        function_arn=ARN,
        account_id="123456789012",
        request_id="inv-1",
        received=EPOCH + 0.003,
        init=(EPOCH + 0.004, EPOCH + 0.030) if cold else None,
        invocation=(EPOCH + 0.031, EPOCH + 0.090),
        end=EPOCH + 0.095,
        error=error,
    )
    return stage, lambda_trace, segments


def test_the_gateway_and_lambda_segments_join_into_one_trace_with_children_inside_parents():
    stage, lambda_trace, (service, function) = request_through_gateway_and_lambda()

    # The runtime is told the function segment is its parent, so the SDK's subsegments land under it
    runtime = TraceHeader.parse(lambda_trace.runtime_header)
    assert runtime == TraceHeader(ROOT, function["id"], True)

    assembled = documents.assemble([stage, service, function])
    for document in assembled.segments:
        documents.validate(document)
    assert documents.root_segment(assembled.segments) is not None
    assert documents.root_segment(assembled.segments)["name"] == "postcards/v1"
    (call,) = stage["subsegments"]
    assert service["parent_id"] == call["id"]
    assert function["parent_id"] == service["id"]
    # Each child's time lies inside its parent's
    assert stage["start_time"] <= call["start_time"] <= service["start_time"]
    assert service["end_time"] <= call["end_time"] <= stage["end_time"]
    assert service["start_time"] <= function["start_time"]
    assert function["end_time"] <= service["end_time"]
    assert [s["name"] for s in function["subsegments"]] == ["Initialization", "Invocation", "Overhead"]
    for sub in function["subsegments"]:
        assert function["start_time"] <= sub["start_time"] <= sub["end_time"] <= function["end_time"]
    # And the service map reads client -> stage -> Lambda -> function
    names = {(s["Name"], s.get("Type")) for s in graph.service_graph([assembled.segments])}
    assert names == {
        ("client", "client"),
        ("postcards/v1", "AWS::ApiGateway::Stage"),
        ("postcards", "AWS::Lambda"),
        ("postcards", "AWS::Lambda::Function"),
    }


def test_a_warm_invocation_has_no_initialization_and_a_function_error_is_a_fault():
    stage, _, (service, function) = request_through_gateway_and_lambda(
        error=("ValueError", "bad postcard"), cold=False
    )

    assert [s["name"] for s in function["subsegments"]] == ["Invocation", "Overhead"]
    assert function["fault"] is True
    assert function["subsegments"][0]["cause"] == {
        "exceptions": [{"type": "ValueError", "message": "bad postcard"}]
    }
    assert "fault" not in service  # Lambda itself answered
    assert stage["fault"] is True
    assert stage["http"]["response"]["status"] == 502


def test_an_http_integration_is_a_remote_call_and_a_throttle_is_an_error():
    call = IntegrationCall(
        new_segment_id(), EPOCH, EPOCH + 0.01, url="http://127.0.0.1:4570/v1/health", method="GET", status=429
    )

    segment = api_gateway_segment(
        TraceHeader(ROOT, "53995c3f42cd8ad8", True),
        segment_id=new_segment_id(),
        api_name="postcards",
        rest_api_id="abc123",
        stage="v1",
        account_id="123456789012",
        region="us-east-1",
        request_id="r",
        start=EPOCH,
        end=EPOCH + 0.02,
        request={"method": "GET"},
        status=429,
        integration=call,
    )

    (sub,) = segment["subsegments"]
    assert (sub["name"], sub["namespace"]) == ("127.0.0.1:4570", "remote")
    assert (sub["error"], sub["throttle"]) == (True, True)
    assert segment["parent_id"] == "53995c3f42cd8ad8"
    assert (segment["error"], segment["throttle"]) == (True, True)

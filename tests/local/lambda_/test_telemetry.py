"""What Lambda records: the trace each invocation runs under, its segments and its metrics."""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

import pytest

from local.services.cloudwatch.metrics import MetricPublisher
from local.services.lambda_.functions import FunctionVersion
from local.services.lambda_.invocation import Invocation, Outcome
from local.services.lambda_.telemetry import LambdaTelemetry
from local.services.xray import documents
from local.services.xray.tracing import TraceHeader

ROOT = "1-5759e988-bd862e3fe1be46a994272793"
HEADER_SHAPE = re.compile(r"Root=1-[0-9a-f]{8}-[0-9a-f]{24};Parent=[0-9a-f]{16};Sampled=([01])")


def function(mode: str = "Active") -> FunctionVersion:
    return FunctionVersion.from_get_function(
        {
            "Configuration": {
                "FunctionName": "postcards",
                "FunctionArn": "arn:aws:lambda:us-east-1:123456789012:function:postcards",
                "Version": "7",
                "TracingConfig": {"Mode": mode},
            }
        }
    )


class Recorded:
    def __init__(self) -> None:
        self.documents: list[dict[str, Any]] = []
        self.metrics: list[tuple[str, list[dict[str, Any]]]] = []

    def __call__(self, found: list[dict[str, Any]]) -> None:
        self.documents.extend(found)

    async def put(self, namespace: str, data: list[dict[str, Any]]) -> None:
        self.metrics.append((namespace, data))


def telemetry(recorded: Recorded | None = None) -> LambdaTelemetry:
    return LambdaTelemetry(
        region="us-east-1",
        account_id="123456789012",
        record=recorded,
        metrics=MetricPublisher(recorded.put) if recorded else None,
    )


def test_without_a_caller_header_active_tracing_starts_a_trace_and_samples_the_first_of_the_second():
    subject = telemetry(Recorded())

    first = subject.decide(function(), None)

    match = HEADER_SHAPE.fullmatch(first.header)
    assert match is not None
    assert match.group(1) == "1"
    assert first.trace is not None
    # The runtime's parent is the function segment Lambda records
    assert TraceHeader.parse(first.header).parent == first.trace.function_segment_id


def test_a_callers_decision_is_kept():
    subject = telemetry(Recorded())

    sampled = subject.decide(function(), f"Root={ROOT};Parent=53995c3f42cd8ad8;Sampled=1")
    unsampled = subject.decide(function(), f"Root={ROOT};Parent=53995c3f42cd8ad8;Sampled=0")

    assert sampled.trace is not None
    assert sampled.trace.header == TraceHeader(ROOT, "53995c3f42cd8ad8", True)
    assert unsampled.trace is None
    assert TraceHeader.parse(unsampled.header).root == ROOT
    assert TraceHeader.parse(unsampled.header).sampled is False


def test_pass_through_hands_the_callers_header_on_and_records_nothing():
    subject = telemetry(Recorded())
    incoming = f"Root={ROOT};Parent=53995c3f42cd8ad8;Sampled=1"

    passed = subject.decide(function("PassThrough"), incoming)
    fresh = subject.decide(function("PassThrough"), None)

    assert (passed.header, passed.trace) == (incoming, None)
    match = HEADER_SHAPE.fullmatch(fresh.header)
    assert match is not None
    assert match.group(1) == "0"
    assert fresh.trace is None


def test_without_a_store_nothing_is_recorded_but_the_header_still_says_sampled():
    decision = telemetry(None).decide(function(), f"Root={ROOT};Sampled=1")

    assert decision.trace is None
    assert decision.header.startswith(f"Root={ROOT};Parent=")
    assert decision.header.endswith("Sampled=1")


@pytest.mark.parametrize(("failed", "cold"), [(False, True), (True, False)])
def test_a_finished_invocation_records_lambdas_segments_and_metrics(failed, cold):
    recorded = Recorded()
    subject = telemetry(recorded)
    decision = subject.decide(function(), f"Root={ROOT};Parent=53995c3f42cd8ad8;Sampled=1")

    async def scenario() -> None:
        invocation = Invocation(
            "req-1",
            b"{}",
            "arn:aws:lambda:us-east-1:123456789012:function:postcards:live",
            decision.header,
            trace=decision.trace,
        )
        assert decision.trace is not None
        invocation.started = decision.trace.received + 0.030
        invocation.finished = invocation.started + 0.010
        invocation.init_duration_ms = 20.0 if cold else None
        body = json.dumps({"errorType": "ValueError", "errorMessage": "bad postcard"}).encode()
        outcome = Outcome(body, "ValueError", "error") if failed else Outcome(b"{}")
        subject.started(function(), 1, 2)
        subject.finished(function(), invocation, outcome)
        assert subject.metrics is not None
        await subject.metrics.flush()

    asyncio.run(scenario())

    service, function_segment = recorded.documents
    for document in recorded.documents:
        documents.validate(document)
    assert service["parent_id"] == "53995c3f42cd8ad8"
    assert function_segment["parent_id"] == service["id"]
    assert function_segment["resource_arn"].endswith(":postcards:live")
    names = [s["name"] for s in function_segment["subsegments"]]
    assert names == (["Initialization", "Invocation", "Overhead"] if cold else ["Invocation", "Overhead"])
    assert service["start_time"] <= function_segment["start_time"]
    assert function_segment.get("fault", False) is failed
    ((namespace, data),) = recorded.metrics
    assert namespace == "AWS/Lambda"
    by_series = {(d["MetricName"], tuple((x["Name"], x["Value"]) for x in d["Dimensions"])): d for d in data}
    alias = (("FunctionName", "postcards"), ("Resource", "postcards:live"))
    assert by_series[("Errors", alias)]["Values"] == [1.0 if failed else 0.0]
    assert by_series[("Invocations", (*alias, ("ExecutedVersion", "7")))]["Values"] == [1.0]
    assert by_series[("Duration", (("FunctionName", "postcards"),))]["Values"] == [pytest.approx(10.0)]
    assert by_series[("ConcurrentExecutions", ())]["Values"] == [2.0]


def test_the_report_line_of_a_traced_invocation_names_its_trace_and_segment():
    from local.services.lambda_.report import report_line

    decision = telemetry(Recorded()).decide(function(), f"Root={ROOT};Sampled=1")
    assert decision.trace is not None

    async def line(trace: Any) -> str:
        invocation = Invocation(
            "req-1", b"{}", "arn:aws:lambda:us-east-1:1:function:f", decision.header, trace=trace
        )
        return report_line(
            invocation, Outcome(b"{}"), 1.0, memory_mb=128, max_memory_mib=40, enforce_memory=True
        )

    traced, untraced = asyncio.run(line(decision.trace)), asyncio.run(line(None))

    assert traced.endswith(
        f"\tXRAY TraceId: {ROOT}\tSegmentId: {decision.trace.function_segment_id}\tSampled: true"
    )
    assert "XRAY" not in untraced

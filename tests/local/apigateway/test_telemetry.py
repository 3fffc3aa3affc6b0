"""What a REST stage records: the sampling decision, the header its integration gets, its segment
and API Gateway's metrics."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from multidict import CIMultiDict, CIMultiDictProxy

from local.services.apigateway.http1 import Request
from local.services.apigateway.models import LambdaTarget, RestApi, Stage
from local.services.apigateway.routing import StageRoutes
from local.services.apigateway.telemetry import GatewayTelemetry, Integration
from local.services.cloudwatch.metrics import MetricPublisher
from local.services.xray import documents
from local.services.xray.sampling import Sampler, SamplingRules
from local.services.xray.tracing import TraceHeader

ROOT = "1-5759e988-bd862e3fe1be46a994272793"


def routes(tracing: bool = True) -> StageRoutes:
    return StageRoutes(RestApi("abc123", "postcards", ()), Stage("v1", tracing_enabled=tracing))


def request(trace_header: str | None = None) -> Request:
    headers = CIMultiDict({"Host": "api.postcards.localhost:4580", "User-Agent": "curl/8"})
    if trace_header:
        headers["X-Amzn-Trace-Id"] = trace_header
    return Request(
        "GET",
        "/v1/postcards",
        "/v1/postcards",
        "",
        list(headers.items()),
        CIMultiDictProxy(headers),
        "api.postcards.localhost:4580",
        "127.0.0.1",
        "1.1",
        b"",
        True,
    )


class Recorded:
    def __init__(self) -> None:
        self.documents: list[dict[str, Any]] = []
        self.metrics: list[tuple[str, list[dict[str, Any]]]] = []

    def __call__(self, found: list[dict[str, Any]]) -> None:
        self.documents.extend(found)

    async def put(self, namespace: str, data: list[dict[str, Any]]) -> None:
        self.metrics.append((namespace, data))


def telemetry(recorded: Recorded, fixed_rate: float = 0.0) -> GatewayTelemetry:
    rules = SamplingRules("us-east-1", "123456789012")
    rules.update({"RuleName": "Default", "ReservoirSize": 0, "FixedRate": fixed_rate})
    return GatewayTelemetry(
        region="us-east-1",
        account_id="123456789012",
        record=recorded,
        sampler=Sampler(rules),
        metrics=MetricPublisher(recorded.put),
    )


def test_a_traced_stage_continues_the_callers_trace_and_hands_its_call_subsegment_on():
    recorded = Recorded()
    subject = telemetry(recorded)

    trace = subject.begin(routes(), f"Root={ROOT}", request(f"Root={ROOT};Parent=53995c3f42cd8ad8;Sampled=1"))

    assert trace is not None
    assert trace.header == TraceHeader(ROOT, "53995c3f42cd8ad8", True)
    assert TraceHeader.parse(trace.downstream) == TraceHeader(ROOT, trace.call_id, True)


def test_without_a_decision_the_rules_decide_and_a_stage_without_tracing_records_nothing():
    recorded = Recorded()

    sampled_out = telemetry(recorded, fixed_rate=0.0).begin(routes(), f"Root={ROOT}", request())
    sampled_in = telemetry(recorded, fixed_rate=1.0).begin(routes(), f"Root={ROOT}", request())
    untraced = telemetry(recorded, fixed_rate=1.0).begin(routes(tracing=False), f"Root={ROOT}", request())

    assert sampled_out is not None
    assert sampled_out.header.sampled is False
    assert TraceHeader.parse(sampled_out.downstream).sampled is False
    assert sampled_in is not None
    assert sampled_in.header == TraceHeader(ROOT, None, True)
    assert untraced is None


def test_a_finished_request_records_the_stage_segment_and_api_gateways_metrics():
    recorded = Recorded()
    subject = telemetry(recorded, fixed_rate=1.0)
    stage = routes()
    trace = subject.begin(stage, f"Root={ROOT}", request())
    started = time.perf_counter() - 0.010  # the request came 10 ms ago; the call took 1 ms of it
    integration = Integration(started + 0.001, started + 0.002, LambdaTarget("postcards", "live"))

    subject.finished(
        stage,
        trace,
        request_id="req-1",
        started=started,
        request=request(),
        status=502,
        integration=integration,
    )
    asyncio.run(subject.metrics.flush())  # type: ignore[union-attr]

    (segment,) = recorded.documents
    documents.validate(segment)
    assert segment["http"]["request"] == {
        "method": "GET",
        "url": "http://api.postcards.localhost:4580/v1/postcards",
        "user_agent": "curl/8",
        "client_ip": "127.0.0.1",
    }
    assert (segment["name"], segment["origin"], segment["fault"]) == (
        "postcards/v1",
        "AWS::ApiGateway::Stage",
        True,
    )
    (call,) = segment["subsegments"]
    assert call["id"] == trace.call_id
    assert call["aws"]["function_name"] == "postcards"
    assert call["http"]["request"]["url"].endswith(":function:postcards:live/invocations")
    assert segment["start_time"] <= call["start_time"] <= call["end_time"] <= segment["end_time"]
    ((namespace, data),) = recorded.metrics
    series = {(d["MetricName"], len(d["Dimensions"])): d["Values"] for d in data}
    assert namespace == "AWS/ApiGateway"
    assert series[("5XXError", 2)] == [1.0]
    assert series[("4XXError", 1)] == [0.0]
    assert ("IntegrationLatency", 2) in series


def test_an_unsampled_request_still_counts_in_the_metrics():
    recorded = Recorded()
    subject = telemetry(recorded, fixed_rate=0.0)
    stage = routes()
    trace = subject.begin(stage, f"Root={ROOT}", request())

    subject.finished(
        stage,
        trace,
        request_id="r",
        started=time.perf_counter(),
        request=request(),
        status=200,
        integration=None,
    )
    asyncio.run(subject.metrics.flush())  # type: ignore[union-attr]

    assert recorded.documents == []
    assert {d["MetricName"] for _, data in recorded.metrics for d in data} == {
        "Count",
        "4XXError",
        "5XXError",
        "Latency",
    }

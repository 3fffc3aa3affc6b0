"""What Lambda records about each invocation: its X-Ray segments and its CloudWatch metrics.

Tracing, as https://docs.aws.amazon.com/lambda/latest/dg/services-xray.html describes it:

- the caller's ``X-Amzn-Trace-Id`` (API Gateway's, or an SDK's) is continued with its sampling
  decision; without one Lambda starts a trace;
- with Active tracing and no decision made upstream, Lambda samples as X-Ray's default rule does (the
  first request each second, then 5 %; Lambda's rate is not configurable);
- a sampled Active invocation records Lambda's service segment and the function segment (with
  Initialization on a cold start, Invocation and Overhead), and the runtime gets a header whose
  Parent is the function segment (``Lambda-Runtime-Trace-Id``, which the runtime puts in
  ``_X_AMZN_TRACE_ID``), so the function's SDK subsegments land under it;
- PassThrough hands the caller's header to the runtime as it came and records nothing itself.

Metrics: ``local.services.cloudwatch.service_metrics`` (Invocations, Errors, Duration, Throttles,
ConcurrentExecutions), through the batching publisher, so an invocation never waits on either.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

from local.services.cloudwatch import service_metrics
from local.services.cloudwatch.metrics import MetricPublisher
from local.services.lambda_.functions import FunctionVersion
from local.services.lambda_.invocation import Invocation, Outcome
from local.services.xray import tracing
from local.services.xray.sampling import Sampler, SamplingRules
from local.services.xray.tracing import LambdaTrace, TraceHeader


@dataclass(frozen=True, slots=True)
class TraceDecision:
    header: str  # what the runtime gets as Lambda-Runtime-Trace-Id
    trace: LambdaTrace | None  # set when Lambda records this invocation's segments


class LambdaTelemetry:
    def __init__(
        self,
        *,
        region: str,
        account_id: str,
        record: tracing.Recorder | None = None,
        metrics: MetricPublisher | None = None,
    ) -> None:
        self.region = region
        self.account_id = account_id
        self.record = record
        self.metrics = metrics
        # Lambda's own sampling: X-Ray's default rule, a reservoir per function.
        self._samplers: dict[str, Sampler] = {}

    def decide(self, function: FunctionVersion, incoming: str | None) -> TraceDecision:
        """The trace an invocation of ``function`` runs under, given the caller's header."""
        header = TraceHeader.parse(incoming)
        active = function.tracing_mode == "Active"
        if header is None:
            header = TraceHeader(tracing.new_trace_id(time.time()))
        elif not active:
            return TraceDecision(header.format() if header.parent else _with_parent(header).format(), None)
        if header.sampled is None:
            sampled = active and self._sampler(function.name).decide(
                function.name, "*", "*", "*", "AWS::Lambda::Function"
            )
            header = TraceHeader(header.root, header.parent, sampled, header.extra)
        if not (active and header.sampled and self.record is not None):
            return TraceDecision(_with_parent(header).format(), None)
        trace = LambdaTrace.start(header, time.perf_counter())
        return TraceDecision(trace.runtime_header, trace)

    def _sampler(self, function_name: str) -> Sampler:
        sampler = self._samplers.get(function_name)
        if sampler is None:
            sampler = self._samplers[function_name] = Sampler(SamplingRules(self.region, self.account_id))
        return sampler

    def throttled(self, function: FunctionVersion, invocation: Invocation) -> None:
        if self.metrics is not None:
            self.metrics.add_all(
                service_metrics.lambda_throttle(
                    function.name, qualifier=_qualifier(invocation.invoked_arn), timestamp=time.time()
                )
            )

    def started(self, function: FunctionVersion, function_in_flight: int, account_in_flight: int) -> None:
        if self.metrics is not None:
            self.metrics.add_all(
                service_metrics.lambda_concurrency(
                    function.name,
                    function_concurrent=function_in_flight,
                    account_concurrent=account_in_flight,
                    timestamp=time.time(),
                )
            )

    def finished(self, function: FunctionVersion, invocation: Invocation, outcome: Outcome) -> None:
        now = time.perf_counter()
        started = invocation.started or now
        finished = invocation.finished or now
        if self.metrics is not None:
            self.metrics.add_all(
                service_metrics.lambda_invocation(
                    function.name,
                    qualifier=_qualifier(invocation.invoked_arn),
                    executed_version=function.version,
                    duration_ms=(finished - started) * 1000,
                    error=outcome.failed,
                    timestamp=time.time(),
                )
            )
        trace = invocation.trace
        if trace is None or self.record is None:
            return
        init = None
        if invocation.init_duration_ms is not None:
            init = (
                tracing.wall_time(started - invocation.init_duration_ms / 1000),
                tracing.wall_time(started),
            )
        self.record(
            tracing.lambda_segments(
                trace,
                function_name=function.name,
                function_arn=invocation.invoked_arn,
                account_id=self.account_id,
                request_id=invocation.request_id,
                received=tracing.wall_time(trace.received),
                init=init,
                invocation=(tracing.wall_time(started), tracing.wall_time(finished)),
                end=tracing.wall_time(now),
                error=_error(outcome),
            )
        )


def _with_parent(header: TraceHeader) -> TraceHeader:
    """Lambda always names a parent in the runtime's header (a fresh one when nobody recorded)."""
    return header if header.parent else header.child(tracing.new_segment_id())


def _qualifier(invoked_arn: str) -> str | None:
    parts = invoked_arn.split(":")
    return parts[7] if len(parts) > 7 else None


def _error(outcome: Outcome) -> tuple[str, str] | None:
    if not outcome.failed:
        return None
    try:
        body = json.loads(outcome.payload)
        message = str(body.get("errorMessage", "")) if isinstance(body, dict) else ""
    except ValueError:
        message = ""
    return (outcome.error_type or "Unhandled", message)

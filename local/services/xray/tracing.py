"""The trace header, and the segments API Gateway and Lambda record for a traced request.

The header (https://docs.aws.amazon.com/xray/latest/devguide/xray-concepts.html#xray-concepts-tracingheader)
is ``Root=1-...;Parent=<16 hex>;Sampled=1|0|?``; ``?`` (or no Sampled) leaves the decision to the
receiver. Other fields (``Lineage``, ``Self``) pass through.

Segments follow what the services write
(https://docs.aws.amazon.com/xray/latest/devguide/xray-services-apigateway.html,
https://docs.aws.amazon.com/lambda/latest/dg/services-xray.html): a REST stage records one segment
named ``<api name>/<stage>`` (origin ``AWS::ApiGateway::Stage``) with a subsegment for the call to
its integration, whose id is the ``Parent`` the integration receives. Lambda records a service
segment (``AWS::Lambda``) under that subsegment and a function segment (``AWS::Lambda::Function``)
under it, with ``Initialization`` (cold starts only), ``Invocation`` and ``Overhead`` subsegments; the
function segment's id is the ``Parent`` in the runtime's ``_X_AMZN_TRACE_ID``, so the SDK's
subsegments (DynamoDB, S3) land under it. A function error is a fault of the function segment and
its Invocation, with the error as the cause.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from local import ids
from local.services.xray.documents import TRACE_ID, Document

# Where recorded segments go (the store's put, for each document).
Recorder = Callable[[list[Document]], None]

# Segment times come from perf_counter readings (monotonic, precise) placed on the wall clock with one
# offset, so that the gateway's and Lambda's segments, timed in one process, nest exactly.
_WALL_OFFSET = time.time() - time.perf_counter()


def wall_time(perf: float) -> float:
    """Epoch seconds of a ``time.perf_counter()`` reading."""
    return perf + _WALL_OFFSET


def new_segment_id() -> str:
    return f"{ids.random_bits(64):016x}"


def new_trace_id(now: float) -> str:
    return f"1-{int(now):08x}-{ids.random_bits(96):024x}"


# slots: a header is built and parsed several times a request; slotted frozen instances build ~2x faster.
@dataclass(frozen=True, slots=True)
class TraceHeader:
    root: str
    parent: str | None = None
    sampled: bool | None = None  # None: not decided yet
    extra: tuple[tuple[str, str], ...] = ()

    @classmethod
    def parse(cls, value: str | None) -> TraceHeader | None:
        """The header's fields; None when there is no valid Root to continue."""
        if not value:
            return None
        fields: dict[str, str] = {}
        for part in value.split(";"):
            key, _, item = part.strip().partition("=")
            if key:
                fields[key] = item.strip()
        root = fields.pop("Root", "")
        if not TRACE_ID.match(root):
            return None
        sampled = {"1": True, "0": False}.get(fields.pop("Sampled", "?"))
        parent = fields.pop("Parent", None) or None
        return cls(root, parent, sampled, tuple(fields.items()))

    def format(self) -> str:
        parts = [f"Root={self.root}"]
        if self.parent:
            parts.append(f"Parent={self.parent}")
        parts.append("Sampled=" + {True: "1", False: "0", None: "?"}[self.sampled])
        parts += [f"{key}={value}" for key, value in self.extra]
        return ";".join(parts)

    def child(self, parent: str, sampled: bool | None = None) -> TraceHeader:
        """The header a downstream call gets: this trace, under ``parent``, with the decision made."""
        return TraceHeader(self.root, parent, self.sampled if sampled is None else sampled, self.extra)


def _outcome(status: int | None) -> dict[str, bool]:
    if status is None:
        return {}
    if status == 429:
        return {"error": True, "throttle": True}
    if 400 <= status < 500:
        return {"error": True}
    return {"fault": True} if status >= 500 else {}


@dataclass(frozen=True, slots=True)
class IntegrationCall:
    """The stage's call to its integration: Lambda (``function_arn``) or HTTP (``url``)."""

    subsegment_id: str
    start: float
    end: float
    function_arn: str | None = None
    url: str | None = None
    method: str = "POST"
    status: int | None = None


def api_gateway_segment(
    header: TraceHeader,
    *,
    segment_id: str,
    api_name: str,
    rest_api_id: str,
    stage: str,
    account_id: str,
    region: str,
    request_id: str,
    start: float,
    end: float,
    request: dict[str, Any],
    status: int,
    integration: IntegrationCall | None,
) -> Document:
    """The stage's segment; ``request`` holds X-Ray's http.request fields (method, url, client_ip...)."""
    segment: Document = {
        "id": segment_id,
        "trace_id": header.root,
        "name": f"{api_name}/{stage}",
        "origin": "AWS::ApiGateway::Stage",
        "start_time": start,
        "end_time": end,
        "resource_arn": f"arn:aws:apigateway:{region}::/restapis/{rest_api_id}/stages/{stage}",
        "http": {"request": request, "response": {"status": status}},
        "aws": {
            "api_gateway": {
                "account_id": account_id,
                "rest_api_id": rest_api_id,
                "stage": stage,
                "request_id": request_id,
            }
        },
        "annotations": {"aws:api_id": rest_api_id, "aws:api_stage": stage},
        "metadata": {"default": {"request_id": request_id}},
    } | _outcome(status)
    if header.parent:
        segment["parent_id"] = header.parent
    if integration is not None:
        segment["subsegments"] = [_integration_subsegment(integration, region)]
    return segment


def _integration_subsegment(call: IntegrationCall, region: str) -> Document:
    subsegment: Document = {"id": call.subsegment_id, "start_time": call.start, "end_time": call.end}
    if call.function_arn is not None:
        function_name = call.function_arn.split(":")[6]
        subsegment |= {
            "name": "Lambda",
            "namespace": "aws",
            "http": {
                "request": {
                    "url": f"https://lambda.{region}.amazonaws.com/2015-03-31/functions/{call.function_arn}/invocations",
                    "method": "POST",
                }
            },
            "aws": {
                "function_name": function_name,
                "region": region,
                "operation": "Invoke",
                "resource_names": [function_name],
            },
        }
    else:
        host = (call.url or "").split("://", 1)[-1].split("/", 1)[0] or "remote"
        subsegment |= {
            "name": host,
            "namespace": "remote",
            "http": {"request": {"url": call.url, "method": call.method}},
        }
    if call.status is not None:
        subsegment["http"]["response"] = {"status": call.status}
        subsegment |= _outcome(call.status)
    return subsegment


@dataclass(frozen=True, slots=True)
class LambdaTrace:
    """The ids of one traced invocation, drawn when it starts: the runtime needs them at once."""

    header: TraceHeader  # the caller's: Root, and Parent for the service segment
    service_segment_id: str
    function_segment_id: str
    received: float  # perf_counter when Lambda received the invocation

    @classmethod
    def start(cls, header: TraceHeader, received: float) -> LambdaTrace:
        return cls(header, new_segment_id(), new_segment_id(), received)

    @property
    def runtime_header(self) -> str:
        """``Lambda-Runtime-Trace-Id`` / ``_X_AMZN_TRACE_ID``: the function segment is the parent."""
        return self.header.child(self.function_segment_id, sampled=True).format()


def lambda_segments(
    trace: LambdaTrace,
    *,
    function_name: str,
    function_arn: str,
    account_id: str,
    request_id: str,
    received: float,
    init: tuple[float, float] | None,
    invocation: tuple[float, float],
    end: float,
    error: tuple[str, str] | None = None,
) -> list[Document]:
    """Lambda's two segments for one invocation; ``error`` is (errorType, errorMessage)."""
    service: Document = {
        "id": trace.service_segment_id,
        "trace_id": trace.header.root,
        "name": function_name,
        "origin": "AWS::Lambda",
        "start_time": received,
        "end_time": end,
        "resource_arn": function_arn,
        "http": {"response": {"status": 200}},
        "aws": {"request_id": request_id},
    }
    if trace.header.parent:
        service["parent_id"] = trace.header.parent
    invoked: Document = {
        "id": new_segment_id(),
        "name": "Invocation",
        "start_time": invocation[0],
        "end_time": invocation[1],
    }
    subsegments: list[Document] = []
    if init is not None:
        subsegments.append(
            {"id": new_segment_id(), "name": "Initialization", "start_time": init[0], "end_time": init[1]}
        )
    subsegments.append(invoked)
    subsegments.append(
        {"id": new_segment_id(), "name": "Overhead", "start_time": invocation[1], "end_time": end}
    )
    function: Document = {
        "id": trace.function_segment_id,
        "trace_id": trace.header.root,
        "parent_id": trace.service_segment_id,
        "name": function_name,
        "origin": "AWS::Lambda::Function",
        "start_time": init[0] if init is not None else invocation[0],
        "end_time": end,
        "resource_arn": function_arn,
        "aws": {"account_id": account_id, "function_arn": function_arn, "resource_names": [function_name]},
        "subsegments": subsegments,
    }
    if error is not None:
        cause = {"exceptions": [{"type": error[0], "message": error[1]}]}
        invoked |= {"fault": True, "cause": cause}
        function |= {"fault": True, "cause": cause}
    return [service, function]

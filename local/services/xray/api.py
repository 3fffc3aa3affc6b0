"""The X-Ray API (REST-JSON, as botocore's ``xray`` service model describes it) over the local store.

Every operation is ``POST <path>`` with a JSON body: PutTraceSegments (/TraceSegments),
GetTraceSummaries (/TraceSummaries), BatchGetTraces (/Traces), GetTraceGraph (/TraceGraph),
GetServiceGraph (/ServiceGraph), the sampling calls SDKs and Terraform make (/GetSamplingRules,
/SamplingTargets, /SamplingStatisticSummaries, /CreateSamplingRule, /UpdateSamplingRule,
/DeleteSamplingRule), tags of sampling rules, PutTelemetryRecords and GetEncryptionConfig.
References: https://docs.aws.amazon.com/xray/latest/api/API_Operations.html. Errors come as AWS
sends them: a status, ``x-amzn-ErrorType`` and ``{"__type", "Message"}``, so botocore raises the
modelled exception (``InvalidRequestException``, ``ResourceNotFoundException``).

``XRayApi.handle`` is a plain function of (path, body) so that the edge mounts it and tests call it.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from local.services.xray import graph, summaries
from local.services.xray.filters import InvalidFilter, parse
from local.services.xray.sampling import Sampler, SamplingRuleError, SamplingRules
from local.services.xray.store import StoredTrace, TraceStore

PAGE_SIZE = 100
MAX_BATCH_TRACE_IDS = 5


class ApiError(Exception):
    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.status = status


@dataclass(frozen=True)
class ApiResponse:
    status: int
    body: bytes
    headers: dict[str, str]


def _timestamp(value: Any, member: str) -> float:
    """A request timestamp: epoch seconds (botocore's rest-json default) or ISO 8601."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            pass
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
        except ValueError:
            pass
    raise ApiError("InvalidRequestException", f"{member} is not a timestamp")


def _required(request: dict[str, Any], member: str) -> Any:
    if request.get(member) is None:
        raise ApiError("InvalidRequestException", f"{member} is required")
    return request[member]


def _page(items: list[Any], token: Any) -> tuple[list[Any], str | None]:
    try:
        offset = int(json.loads(base64.b64decode(token))["offset"]) if token else 0
    except (ValueError, KeyError, TypeError):
        raise ApiError("InvalidRequestException", "NextToken is not valid") from None
    following = offset + PAGE_SIZE
    token_out = (
        base64.b64encode(json.dumps({"offset": following}).encode()).decode()
        if following < len(items)
        else None
    )
    return items[offset:following], token_out


class XRayApi:
    def __init__(
        self,
        store: TraceStore,
        rules: SamplingRules,
        sampler: Sampler,
        account_id: str,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.rules = rules
        self.sampler = sampler
        self.account_id = account_id
        self.clock = clock
        self.operations: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
            "/TraceSegments": self.put_trace_segments,
            "/TelemetryRecords": lambda request: {},
            "/TraceSummaries": self.get_trace_summaries,
            "/Traces": self.batch_get_traces,
            "/TraceGraph": self.get_trace_graph,
            "/ServiceGraph": self.get_service_graph,
            "/GetSamplingRules": self.get_sampling_rules,
            "/SamplingTargets": self.get_sampling_targets,
            "/SamplingStatisticSummaries": self.get_sampling_statistic_summaries,
            "/CreateSamplingRule": self.create_sampling_rule,
            "/UpdateSamplingRule": self.update_sampling_rule,
            "/DeleteSamplingRule": self.delete_sampling_rule,
            "/TagResource": self.tag_resource,
            "/UntagResource": self.untag_resource,
            "/ListTagsForResource": self.list_tags_for_resource,
            "/EncryptionConfig": lambda request: {"EncryptionConfig": {"Type": "NONE", "Status": "ACTIVE"}},
        }

    def handles(self, path: str) -> bool:
        return path in self.operations

    def handle(self, path: str, body: bytes) -> ApiResponse:
        try:
            operation = self.operations.get(path)
            if operation is None:
                raise ApiError(
                    "InvalidRequestException", f"{path} is not an X-Ray operation the local cloud serves", 404
                )
            try:
                request = json.loads(body or b"{}")
            except ValueError:
                raise ApiError("InvalidRequestException", "the request body is not JSON") from None
            if not isinstance(request, dict):
                raise ApiError("InvalidRequestException", "the request body is not a JSON object")
            result = operation(request)
        except ApiError as error:
            payload = json.dumps({"__type": error.code, "Message": str(error)}).encode()
            headers = {"Content-Type": "application/json", "x-amzn-ErrorType": error.code}
            return ApiResponse(error.status, payload, headers)
        return ApiResponse(200, json.dumps(result).encode(), {"Content-Type": "application/json"})

    # --- traces --------------------------------------------------------------------------------

    def put_trace_segments(self, request: dict[str, Any]) -> dict[str, Any]:
        unprocessed: list[dict[str, Any]] = []
        for raw in _required(request, "TraceSegmentDocuments"):
            document: Any = None
            try:
                document = json.loads(raw)
                self.store.put(document)
            except (ValueError, TypeError) as error:  # InvalidDocument is a ValueError
                segment_id = document.get("id") if isinstance(document, dict) else None
                unprocessed.append({"Id": segment_id, "ErrorCode": "InvalidSegment", "Message": str(error)})
        return {"UnprocessedTraceSegments": unprocessed}

    def _traces_between(self, start: float, end: float, by_trace_id: bool) -> list[StoredTrace]:
        def when(trace: StoredTrace) -> float:
            return int(trace.id[2:10], 16) if by_trace_id else trace.start_time

        found = [t for t in self.store.traces() if start <= when(t) <= end]
        return sorted(found, key=lambda t: t.start_time, reverse=True)

    def get_trace_summaries(self, request: dict[str, Any]) -> dict[str, Any]:
        start = _timestamp(_required(request, "StartTime"), "StartTime")
        end = _timestamp(_required(request, "EndTime"), "EndTime")
        if end < start:
            raise ApiError("InvalidRequestException", "EndTime must not be before StartTime")
        range_type = request.get("TimeRangeType") or "TraceId"
        if range_type not in ("TraceId", "Event", "Service"):
            raise ApiError(
                "InvalidRequestException", f"TimeRangeType {range_type!r} is not TraceId, Event or Service"
            )
        try:
            matches = parse(request.get("FilterExpression") or "")
        except InvalidFilter as error:
            raise ApiError("InvalidRequestException", f"Invalid filter expression: {error}") from None
        candidates = self._traces_between(start, end, by_trace_id=range_type == "TraceId")
        matched = [t for t in candidates if matches(summaries.scope(t.assembled()))]
        page, token = _page(matched, request.get("NextToken"))
        result: dict[str, Any] = {
            "TraceSummaries": [summaries.summary(t, self.account_id) for t in page],
            "ApproximateTime": self.clock(),
            "TracesProcessedCount": len(candidates),
        }
        if token is not None:
            result["NextToken"] = token
        return result

    def _trace_ids(self, request: dict[str, Any]) -> list[str]:
        trace_ids = _required(request, "TraceIds")
        if not isinstance(trace_ids, list) or not all(isinstance(t, str) for t in trace_ids):
            raise ApiError("InvalidRequestException", "TraceIds is a list of trace ids")
        return trace_ids

    def batch_get_traces(self, request: dict[str, Any]) -> dict[str, Any]:
        trace_ids = self._trace_ids(request)
        if len(trace_ids) > MAX_BATCH_TRACE_IDS:
            raise ApiError("InvalidRequestException", f"at most {MAX_BATCH_TRACE_IDS} TraceIds per call")
        traces, unprocessed = [], []
        for trace_id in trace_ids:
            trace = self.store.get(trace_id)
            if trace is None:
                unprocessed.append(trace_id)
                continue
            assembled = trace.assembled()
            traces.append(
                {
                    "Id": trace.id,
                    "Duration": round(summaries.scope(assembled).duration, 3),
                    "LimitExceeded": False,
                    "Segments": [{"Id": s["id"], "Document": json.dumps(s)} for s in assembled.segments],
                }
            )
        return {"Traces": traces, "UnprocessedTraceIds": unprocessed}

    def get_trace_graph(self, request: dict[str, Any]) -> dict[str, Any]:
        traces = [self.store.get(trace_id) for trace_id in self._trace_ids(request)]
        segments = [t.assembled().segments for t in traces if t is not None]
        return {"Services": graph.service_graph(segments, self.account_id)}

    def get_service_graph(self, request: dict[str, Any]) -> dict[str, Any]:
        start = _timestamp(_required(request, "StartTime"), "StartTime")
        end = _timestamp(_required(request, "EndTime"), "EndTime")
        if end < start:
            raise ApiError("InvalidRequestException", "EndTime must not be before StartTime")
        segments = [
            t.assembled().segments for t in self._traces_between(start - 3600, end, by_trace_id=False)
        ]
        return {
            "StartTime": start,
            "EndTime": end,
            "Services": graph.service_graph(segments, self.account_id, start, end),
            "ContainsOldGroupVersions": False,
        }

    # --- sampling ------------------------------------------------------------------------------

    def _rule_call(self, call: Callable[[], Any]) -> Any:
        try:
            return call()
        except SamplingRuleError as error:  # X-Ray answers a missing rule with this code too
            raise ApiError("InvalidRequestException", str(error)) from None

    def get_sampling_rules(self, request: dict[str, Any]) -> dict[str, Any]:
        records = [rule.record() for rule in self.rules.ordered()]
        page, token = _page(records, request.get("NextToken"))
        return {"SamplingRuleRecords": page} | ({"NextToken": token} if token else {})

    def get_sampling_targets(self, request: dict[str, Any]) -> dict[str, Any]:
        documents = _required(request, "SamplingStatisticsDocuments")
        if not isinstance(documents, list):
            raise ApiError("InvalidRequestException", "SamplingStatisticsDocuments is a list")
        return self.sampler.targets(documents) | {"UnprocessedBoostStatistics": []}

    def get_sampling_statistic_summaries(self, request: dict[str, Any]) -> dict[str, Any]:
        return {"SamplingStatisticSummaries": self.sampler.summaries()}

    def create_sampling_rule(self, request: dict[str, Any]) -> dict[str, Any]:
        rule = _required(request, "SamplingRule")
        created = self._rule_call(lambda: self.rules.create(rule, request.get("Tags")))
        return {"SamplingRuleRecord": created.record()}

    def update_sampling_rule(self, request: dict[str, Any]) -> dict[str, Any]:
        update = _required(request, "SamplingRuleUpdate")
        return {"SamplingRuleRecord": self._rule_call(lambda: self.rules.update(update)).record()}

    def delete_sampling_rule(self, request: dict[str, Any]) -> dict[str, Any]:
        name, arn = request.get("RuleName"), request.get("RuleARN")
        return {"SamplingRuleRecord": self._rule_call(lambda: self.rules.delete(name, arn)).record()}

    def _tags_of(self, request: dict[str, Any]) -> dict[str, str]:
        arn = _required(request, "ResourceARN")
        if arn not in self.rules.tags:
            raise ApiError("ResourceNotFoundException", f"{arn} not found", 404)
        return self.rules.tags[arn]

    def tag_resource(self, request: dict[str, Any]) -> dict[str, Any]:
        self._tags_of(request).update({t["Key"]: t["Value"] for t in _required(request, "Tags")})
        return {}

    def untag_resource(self, request: dict[str, Any]) -> dict[str, Any]:
        tags = self._tags_of(request)
        for key in _required(request, "TagKeys"):
            tags.pop(key, None)
        return {}

    def list_tags_for_resource(self, request: dict[str, Any]) -> dict[str, Any]:
        return {"Tags": [{"Key": k, "Value": v} for k, v in self._tags_of(request).items()]}

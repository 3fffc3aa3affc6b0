"""The service graph (GetServiceGraph) and the trace graph (GetTraceGraph), built from segments.

Shapes follow https://docs.aws.amazon.com/xray/latest/api/API_Service.html and
https://docs.aws.amazon.com/xray/latest/api/API_Edge.html. A node is one service, identified by its
segments' name and type (the segment's ``origin``: ``AWS::ApiGateway::Stage``, ``AWS::Lambda``,
``AWS::Lambda::Function``, ``AWS::DynamoDB::Table`` for an inferred segment...). An edge goes from
the service holding a segment's parent (the subsegment that made the call) to the segment's service;
a segment whose parent is not in the trace is an entry point, called by the ``client`` node, as the
console draws it (client -> API Gateway -> Lambda -> DynamoDB / S3).

Statistics count segments by their own flags: fault (5xx), else error (4xx; throttle is 429), else
ok; response times are the callee segment's duration. Histograms count durations rounded to the
millisecond, where X-Ray's own buckets are coarser.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from local.services.xray import documents
from local.services.xray.documents import Document, walk

CLIENT = ("client", "client")
_Key = tuple[str, str | None]


@dataclass
class _Counts:
    ok: int = 0
    error_throttle: int = 0
    error_other: int = 0
    fault: int = 0
    total_response_time: float = 0.0
    start: float = float("inf")
    end: float = float("-inf")
    response_times: dict[float, int] = field(default_factory=dict)

    def add(self, segment: Document, response_time: float) -> None:
        if segment.get("fault") is True:
            self.fault += 1
        elif segment.get("error") is True:
            if segment.get("throttle") is True:
                self.error_throttle += 1
            else:
                self.error_other += 1
        else:
            self.ok += 1
        self.total_response_time += response_time
        bucket = round(response_time, 3)
        self.response_times[bucket] = self.response_times.get(bucket, 0) + 1
        self.start = min(self.start, float(segment["start_time"]))
        self.end = max(self.end, documents.end_time(segment))

    def statistics(self) -> dict[str, Any]:
        errors = self.error_throttle + self.error_other
        return {
            "OkCount": self.ok,
            "ErrorStatistics": {
                "ThrottleCount": self.error_throttle,
                "OtherCount": self.error_other,
                "TotalCount": errors,
            },
            "FaultStatistics": {"OtherCount": self.fault, "TotalCount": self.fault},
            "TotalCount": self.ok + errors + self.fault,
            "TotalResponseTime": round(self.total_response_time, 6),
        }

    def histogram(self) -> list[dict[str, Any]]:
        return [{"Value": value, "Count": count} for value, count in sorted(self.response_times.items())]


@dataclass
class _Node:
    reference_id: int
    name: str
    type: str | None
    inferred: bool
    root: bool = False
    counts: _Counts = field(default_factory=_Counts)
    edges: dict[_Key, _Counts] = field(default_factory=dict)


def service_graph(
    traces: Iterable[list[Document]],
    account_id: str | None = None,
    start: float | None = None,
    end: float | None = None,
) -> list[dict[str, Any]]:
    """GetServiceGraph's ``Services`` for the assembled segments of ``traces`` (within start..end)."""
    nodes: dict[_Key, _Node] = {}

    def node(key: _Key, inferred: bool) -> _Node:
        if key not in nodes:
            nodes[key] = _Node(len(nodes), key[0], key[1], inferred)
        return nodes[key]

    for trace in traces:
        segments = trace
        if start is not None and end is not None:
            segments = [
                s for s in segments if float(s["start_time"]) <= end and documents.end_time(s) >= start
            ]
        owner = {item["id"]: s for s in segments for item in walk(s)}
        callers = {item["id"]: item for s in segments for item in walk(s)}
        for segment in segments:
            key = (segment["name"], documents.service_type(segment))
            callee = node(key, bool(segment.get("inferred")))
            response_time = documents.duration(segment)
            callee.counts.add(segment, response_time)
            parent_id = segment.get("parent_id")
            if parent_id in owner:
                caller_segment = owner[parent_id]
                caller = node((caller_segment["name"], documents.service_type(caller_segment)), False)
                # The caller waited as long as its calling subsegment lasted.
                edge_time = documents.duration(callers[parent_id])
            else:
                callee.root = True
                caller = node(CLIENT, False)
                edge_time = response_time
            caller.edges.setdefault(key, _Counts()).add(segment, edge_time)
    return _render(nodes, account_id)


def _render(nodes: dict[_Key, _Node], account_id: str | None) -> list[dict[str, Any]]:
    # The client first, as X-Ray lists it; reference ids are positions in this order.
    ordered = sorted(nodes.values(), key=lambda n: (n.name, n.type) != CLIENT)
    ids = {(n.name, n.type): index for index, n in enumerate(ordered)}
    services: list[dict[str, Any]] = []
    for item in ordered:
        is_client = (item.name, item.type) == CLIENT
        service: dict[str, Any] = {
            "ReferenceId": ids[(item.name, item.type)],
            "Name": item.name,
            "Names": [item.name],
            "Root": item.root,
            "State": "unknown" if is_client or item.inferred else "active",
            "Edges": [
                {
                    "ReferenceId": ids[target],
                    "StartTime": counts.start,
                    "EndTime": counts.end,
                    "SummaryStatistics": counts.statistics(),
                    "ResponseTimeHistogram": counts.histogram(),
                    "Aliases": [],
                }
                for target, counts in item.edges.items()
            ],
        }
        if item.type is not None:
            service["Type"] = item.type
        if account_id is not None and not (is_client or item.inferred):
            service["AccountId"] = account_id
        if not is_client:
            service |= {
                "StartTime": item.counts.start,
                "EndTime": item.counts.end,
                "SummaryStatistics": item.counts.statistics(),
                "DurationHistogram": item.counts.histogram(),
                "ResponseTimeHistogram": item.counts.histogram(),
            }
        services.append(service)
    return services

"""A trace (BatchGetTraces) as the X-Ray console's timeline: one row per segment and subsegment, each
under the one that called it, with its offset and duration within the trace.

A subsegment sits under its parent document; a segment under the subsegment named by its
``parent_id`` (the gateway's integration subsegment is the Lambda service segment's parent, the
function's DynamoDB subsegment the inferred table segment's); a segment whose parent is not in the
trace is a root. Siblings are ordered by start time.
https://docs.aws.amazon.com/xray/latest/devguide/xray-console-traces.html
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

MAX_DEPTH = 8  # deeper rows are drawn at this indentation


@dataclass(frozen=True)
class Row:
    id: str
    name: str
    kind: str  # the segment's origin (AWS::Lambda::Function...), or the subsegment's namespace
    depth: int
    offset_s: float  # from the trace's start
    duration_s: float
    status: str  # ok, error, throttle or fault
    in_progress: bool
    http_status: int | None
    annotations: dict[str, Any]
    metadata: dict[str, Any]
    exceptions: tuple[str, ...]  # cause.exceptions' messages
    aws: dict[str, Any]  # operation, table_name, resource names...
    segment: bool  # a segment (a service's), not a subsegment


@dataclass(frozen=True)
class Waterfall:
    trace_id: str
    start: float  # epoch seconds
    duration_s: float
    rows: tuple[Row, ...]

    def bar(self, row: Row, width: float = 1000.0) -> tuple[float, float]:
        """``row``'s bar as (x, width) on a scale of ``width`` for the whole trace (at least 0.4 %)."""
        total = self.duration_s or 1.0
        x = min(max(row.offset_s / total, 0.0), 1.0) * width
        return x, max(min(row.duration_s / total * width, width - x), width * 0.004)


@dataclass
class _Node:
    document: dict[str, Any]
    segment: bool
    children: list[_Node]


def build(trace: dict[str, Any]) -> Waterfall:
    documents = [json.loads(s["Document"]) for s in trace.get("Segments", [])]
    nodes: dict[str, _Node] = {}
    segments: list[_Node] = []
    for document in documents:
        node = _Node(document, True, [])
        segments.append(node)
        _index(node, nodes)
    roots = []
    for node in segments:
        parent = nodes.get(str(node.document.get("parent_id", "")))
        if parent is not None and parent is not node:
            parent.children.append(node)
        else:
            roots.append(node)
    start = min((float(d["start_time"]) for d in documents), default=0.0)
    end = max((_end(d) for d in documents), default=start)
    rows = tuple(_rows(sorted(roots, key=_start), 0, start))
    return Waterfall(str(trace.get("Id", "")), start, max(end - start, 0.0), rows)


def _index(node: _Node, nodes: dict[str, _Node]) -> None:
    nodes[str(node.document.get("id", ""))] = node
    for sub in node.document.get("subsegments") or []:
        child = _Node(sub, False, [])
        node.children.append(child)
        _index(child, nodes)


def _rows(nodes: list[_Node], depth: int, trace_start: float) -> Iterator[Row]:
    for node in nodes:
        yield _row(node, depth, trace_start)
        yield from _rows(sorted(node.children, key=_start), depth + 1, trace_start)


def _row(node: _Node, depth: int, trace_start: float) -> Row:
    document = node.document
    start = float(document.get("start_time", trace_start))
    response = (document.get("http") or {}).get("response") or {}
    status = response.get("status")
    cause = document.get("cause")
    messages: tuple[str, ...] = ()
    if isinstance(cause, dict):
        messages = tuple(
            str(e.get("message") or e.get("type") or "exception") for e in cause.get("exceptions") or []
        )
    kind = document.get("origin") if node.segment else document.get("namespace")
    if node.segment and document.get("inferred"):
        kind = f"{kind or 'remote'} (inferred)"
    return Row(
        id=str(document.get("id", "")),
        name=str(document.get("name", "?")),
        kind=str(kind or ("segment" if node.segment else "subsegment")),
        depth=min(depth, MAX_DEPTH),
        offset_s=start - trace_start,
        duration_s=max(_end(document) - start, 0.0),
        status=badge_status(
            fault=document.get("fault"), throttle=document.get("throttle"), error=document.get("error")
        ),
        in_progress=bool(document.get("in_progress")),
        http_status=status if isinstance(status, int) else None,
        annotations=dict(document.get("annotations") or {}),
        metadata=dict(document.get("metadata") or {}),
        exceptions=messages,
        aws={k: v for k, v in (document.get("aws") or {}).items() if isinstance(v, str | int | float)},
        segment=node.segment,
    )


def badge_status(*, fault: object, throttle: object, error: object) -> str:
    """What the console's badge says: a fault (5xx) over a throttle (429) over an error (4xx), as
    X-Ray's flags on a document or a trace summary (HasFault, HasThrottle, HasError)."""
    if fault:
        return "fault"
    if throttle:
        return "throttle"
    if error:
        return "error"
    return "ok"


def _start(node: _Node) -> float:
    return float(node.document.get("start_time", 0.0))


def _end(document: dict[str, Any]) -> float:
    end = document.get("end_time")
    return float(end) if end is not None else float(document.get("start_time", 0.0))

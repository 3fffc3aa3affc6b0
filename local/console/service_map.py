"""The service map (GetServiceGraph's ``Services``) laid out and drawn as inline SVG.

Nodes go in levels by their distance from the callers nobody calls (the ``client``), top to bottom:
client -> API Gateway -> Lambda -> the function -> DynamoDB / S3, a layout that stays legible at a
phone's width. Each node shows what the X-Ray console shows on it: requests, average response time,
and the share of errors (4xx), throttles and faults (5xx); each edge its calls and average latency.
https://docs.aws.amazon.com/xray/latest/devguide/xray-console-servicemap.html
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from typing import Any

NODE_W, NODE_H = 250, 74
GAP_X, GAP_Y = 24, 58
MARGIN = 12


@dataclass(frozen=True)
class Stats:
    total: int
    ok: int
    errors: int
    throttles: int
    faults: int
    average_ms: float | None

    @classmethod
    def of(cls, summary: dict[str, Any] | None) -> Stats:
        summary = summary or {}
        total = int(summary.get("TotalCount") or 0)
        errors = summary.get("ErrorStatistics") or {}
        faults = summary.get("FaultStatistics") or {}
        response = float(summary.get("TotalResponseTime") or 0.0)
        return cls(
            total,
            int(summary.get("OkCount") or 0),
            int(errors.get("OtherCount") or 0),
            int(errors.get("ThrottleCount") or 0),
            int(faults.get("TotalCount") or 0),
            response / total * 1000 if total else None,
        )

    def rate(self, count: int) -> str:
        return f"{count / self.total:.0%}" if self.total else "0%"

    @property
    def health(self) -> str:
        """The node's colour, as the console's rings: fault over throttle over error over ok."""
        if self.faults:
            return "fault"
        if self.throttles:
            return "throttle"
        if self.errors:
            return "error"
        return "ok"


@dataclass(frozen=True)
class Node:
    ref: int
    name: str
    type: str
    stats: Stats
    level: int
    x: float
    y: float


@dataclass(frozen=True)
class Edge:
    source: Node
    target: Node
    stats: Stats


@dataclass(frozen=True)
class Layout:
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]
    width: float
    height: float


def layout(services: list[dict[str, Any]]) -> Layout:
    by_ref = {int(s["ReferenceId"]): s for s in services}
    targets = {int(e["ReferenceId"]) for s in services for e in s.get("Edges") or []}
    level: dict[int, int] = {}
    frontier = [ref for ref in by_ref if ref not in targets] or sorted(by_ref)[:1]
    for ref in frontier:
        level[ref] = 0
    while frontier:  # breadth first: a node's level is its shortest distance from a caller
        following = []
        for ref in frontier:
            for edge in by_ref[ref].get("Edges") or []:
                target = int(edge["ReferenceId"])
                if target in by_ref and target not in level:
                    level[target] = level[ref] + 1
                    following.append(target)
        frontier = following
    for ref in sorted(by_ref):  # unreachable (a cycle with no caller): below the rest
        level.setdefault(ref, max(level.values(), default=-1) + 1)
    levels: dict[int, list[int]] = {}
    for ref in sorted(by_ref, key=lambda r: (level[r], by_ref[r].get("Name", ""))):
        levels.setdefault(level[ref], []).append(ref)
    widest = max((len(refs) for refs in levels.values()), default=1)
    width = MARGIN * 2 + widest * NODE_W + (widest - 1) * GAP_X
    nodes: dict[int, Node] = {}
    for depth, refs in levels.items():
        row_width = len(refs) * NODE_W + (len(refs) - 1) * GAP_X
        left = (width - row_width) / 2
        for index, ref in enumerate(refs):
            service = by_ref[ref]
            nodes[ref] = Node(
                ref,
                str(service.get("Name", "?")),
                str(service.get("Type", "")),
                Stats.of(service.get("SummaryStatistics")),
                depth,
                left + index * (NODE_W + GAP_X),
                MARGIN + depth * (NODE_H + GAP_Y),
            )
    edges = tuple(
        Edge(nodes[ref], nodes[int(e["ReferenceId"])], Stats.of(e.get("SummaryStatistics")))
        for ref, service in by_ref.items()
        for e in service.get("Edges") or []
        if int(e["ReferenceId"]) in nodes
    )
    height = MARGIN * 2 + len(levels) * NODE_H + max(len(levels) - 1, 0) * GAP_Y
    return Layout(tuple(nodes.values()), edges, width, height)


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def node_summary(stats: Stats) -> str:
    if not stats.total:
        return "no requests recorded"
    average = f" · avg {stats.average_ms:.0f} ms" if stats.average_ms is not None else ""
    return f"{stats.total} req{average}"


def node_rates(stats: Stats) -> str:
    if not stats.total:
        return ""
    rate = stats.rate
    return f"err {rate(stats.errors)} · thr {rate(stats.throttles)} · fault {rate(stats.faults)}"


def svg(drawn: Layout) -> str:
    """The map as an ``<svg>`` element (styles from the console's stylesheet: no inline style)."""
    parts = [
        # Drawn at its own size (a phone shrinks it to fit): a short chain is not blown up.
        f'<svg class="map" width="{drawn.width:.0f}" height="{drawn.height:.0f}" '
        f'viewBox="0 0 {drawn.width:.0f} {drawn.height:.0f}" role="img" '
        'aria-labelledby="map-title"><title id="map-title">Service map: '
        + escape(", ".join(f"{e.source.name} to {e.target.name}" for e in drawn.edges) or "no services")
        + "</title>",
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
        'orient="auto-start-reverse"><path class="arrowhead" d="M0,0 L10,5 L0,10 z"/></marker></defs>',
    ]
    for edge in drawn.edges:
        x1, y1 = edge.source.x + NODE_W / 2, edge.source.y + NODE_H
        x2, y2 = edge.target.x + NODE_W / 2, edge.target.y
        if edge.target.level <= edge.source.level:  # a call back up or sideways: around the side
            x1, y1 = edge.source.x + NODE_W, edge.source.y + NODE_H / 2
            x2, y2 = edge.target.x + NODE_W, edge.target.y + NODE_H / 2
        parts.append(
            f'<line class="edge edge-{edge.stats.health}" x1="{x1:.1f}" y1="{y1:.1f}" '
            f'x2="{x2:.1f}" y2="{y2:.1f}" marker-end="url(#arrow)"/>'
        )
        label = f"{edge.stats.total} calls"
        if edge.stats.average_ms is not None:
            label += f" {edge.stats.average_ms:.0f} ms"
        parts.append(
            f'<text class="edge-label" x="{(x1 + x2) / 2 + 6:.1f}" y="{(y1 + y2) / 2 + 4:.1f}">'
            f"{escape(label)}</text>"
        )
    for node in drawn.nodes:
        parts.append(
            f'<g class="node node-{node.stats.health}"><rect x="{node.x:.1f}" y="{node.y:.1f}" '
            f'width="{NODE_W}" height="{NODE_H}" rx="8"/>'
            f'<text class="node-name" x="{node.x + 12:.1f}" y="{node.y + 22:.1f}">'
            f"{escape(_short(node.name, 26))}</text>"
            f'<text class="node-type" x="{node.x + 12:.1f}" y="{node.y + 40:.1f}">'
            f"{escape(_short(node.type, 30))}</text>"
            f'<text class="node-stats" x="{node.x + 12:.1f}" y="{node.y + 58:.1f}">'
            f"{escape(node_summary(node.stats))}</text></g>"
        )
    parts.append("</svg>")
    return "".join(parts)

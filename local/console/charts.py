"""Metric graphs as inline SVG: a line over the datapoints of a time range, an optional threshold
(an alarm's), the range's maximum on the y axis and its ends on the x axis. Drawn on the server,
styled by the console's stylesheet: no script, no library."""

from __future__ import annotations

from datetime import UTC, datetime
from html import escape

from local.console.sources import Series

# About the size it is drawn at (a third of a laptop's row, a phone's width): text stays legible.
W, H = 360, 160
LEFT, RIGHT, TOP, BOTTOM = 40, 8, 12, 24


def _clock(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%H:%M")


def _number(value: float) -> str:
    if value >= 1000:
        return f"{value / 1000:.1f}k"
    return f"{value:.0f}" if value == int(value) or value >= 10 else f"{value:.2f}"


def line_chart(
    series: Series, start: float, end: float, *, threshold: float | None = None, chart_id: str
) -> str:
    """``series`` between ``start`` and ``end`` (epoch seconds) as an ``<svg>`` element."""
    values = [value for _, value in series.points]
    top = max([*values, threshold or 0.0, 1.0]) * 1.1
    span = max(end - start, 1.0)
    plot_w, plot_h = W - LEFT - RIGHT, H - TOP - BOTTOM

    def x(t: float) -> float:
        return LEFT + (min(max(t, start), end) - start) / span * plot_w

    def y(v: float) -> float:
        return TOP + plot_h - v / top * plot_h

    unit = f" {series.unit}" if series.unit else ""
    if values:
        latest = f"latest {_number(values[-1])}{unit}, max {_number(max(values))}{unit}"
    else:
        latest = "no datapoints"
    parts = [
        f'<svg class="chart" viewBox="0 0 {W} {H}" role="img" aria-labelledby="{chart_id}">'
        f'<title id="{chart_id}">{escape(series.label)}: {escape(latest)}, {_clock(start)} to '
        f"{_clock(end)} UTC</title>",
        f'<line class="axis" x1="{LEFT}" y1="{TOP + plot_h}" x2="{W - RIGHT}" y2="{TOP + plot_h}"/>',
        f'<line class="axis" x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{TOP + plot_h}"/>',
        f'<text class="tick" x="{LEFT - 6}" y="{TOP + 10}" text-anchor="end">{_number(top)}</text>',
        f'<text class="tick" x="{LEFT - 6}" y="{TOP + plot_h}" text-anchor="end">0</text>',
        f'<text class="tick" x="{LEFT}" y="{H - 6}">{_clock(start)}</text>',
        f'<text class="tick" x="{W - RIGHT}" y="{H - 6}" text-anchor="end">{_clock(end)} UTC</text>',
    ]
    if threshold is not None:
        parts.append(
            f'<line class="threshold" x1="{LEFT}" y1="{y(threshold):.1f}" x2="{W - RIGHT}" '
            f'y2="{y(threshold):.1f}"/>'
            f'<text class="tick threshold-label" x="{W - RIGHT}" y="{y(threshold) - 4:.1f}" '
            f'text-anchor="end">threshold {_number(threshold)}</text>'
        )
    if series.points:
        points = " ".join(f"{x(t):.1f},{y(v):.1f}" for t, v in series.points)
        parts.append(f'<polyline class="series" points="{points}"/>')
        parts += [f'<circle class="point" cx="{x(t):.1f}" cy="{y(v):.1f}" r="3"/>' for t, v in series.points]
    else:
        middle = f'x="{W / 2}" y="{TOP + plot_h / 2}"'
        parts.append(f'<text class="empty" {middle} text-anchor="middle">no datapoints</text>')
    parts.append("</svg>")
    return "".join(parts)

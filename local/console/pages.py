"""The console's pages as HTML: one layout, a page per view. Everything interpolated is escaped;
links and forms only (no script), so the strict CSP holds and the pages work without JavaScript."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from html import escape
from typing import Any
from urllib.parse import quote, urlencode

from local.console import service_map
from local.console.waterfall import Row, Waterfall, badge_status

NAV = (
    ("/", "Overview"),
    ("/traces", "Traces"),
    ("/map", "Service map"),
    ("/functions", "Functions"),
    ("/alarms", "Alarms"),
)
RANGES = (5, 15, 60, 180, 1440)  # minutes


def _time(moment: float | datetime | None) -> str:
    """An epoch or a datetime (boto3 parses the API's timestamps), in UTC."""
    if isinstance(moment, datetime):
        return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    if not moment:
        return "-"
    return datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _clock_ms(epoch_ms: int) -> str:
    return datetime.fromtimestamp(epoch_ms / 1000, UTC).strftime("%H:%M:%S.%f")[:-3]


def _init(milliseconds: float | None) -> str:
    return "-" if milliseconds is None else f"{milliseconds:.0f} ms"


def _tracing(configuration: dict[str, Any]) -> str:
    return str((configuration.get("TracingConfig") or {}).get("Mode", "PassThrough"))


def _ms(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds * 1000:.1f} ms"


def layout(title: str, active: str, body: str) -> str:
    links = "".join(
        f'<li><a href="{href}"{" aria-current=page" if href == active else ""}>{label}</a></li>'
        for href, label in NAV
    )
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)} · local console</title>"
        '<link rel="stylesheet" href="/console.css">'
        '<link rel="icon" href="/favicon.svg" type="image/svg+xml">'
        "</head><body>"
        '<header><p class="brand"><a href="/">Postcards local console</a></p>'
        f'<nav aria-label="Console"><ul>{links}</ul></nav></header>'
        f"<main><h1>{escape(title)}</h1>{body}</main>"
        "<footer><p>Read through the AWS APIs of the local cloud's edge (X-Ray, CloudWatch, CloudWatch Logs, "
        "Lambda) and the executor's status. Times in UTC.</p></footer></body></html>"
    )


def problem(message: str) -> str:
    return f'<p class="problem" role="alert">{escape(message)}</p>'


def _status_badge(status: str) -> str:
    return f'<span class="badge badge-{escape(status)}">{escape(status)}</span>'


# --- traces ----------------------------------------------------------------------------------------


def range_select(minutes: int) -> str:
    options = "".join(
        f'<option value="{m}"{" selected" if m == minutes else ""}>last {m // 60} h</option>'
        if m >= 60
        else f'<option value="{m}"{" selected" if m == minutes else ""}>last {m} min</option>'
        for m in RANGES
    )
    return f'<label for="minutes">Time range</label><select id="minutes" name="minutes">{options}</select>'


def trace_list(summaries: list[dict[str, Any]]) -> str:
    if not summaries:
        return '<p class="empty">No traces in this range. Send a request through the API and reload.</p>'
    rows = []
    for summary in summaries:
        trace_id = str(summary.get("Id", ""))
        http = summary.get("Http") or {}
        request = f"{http.get('HttpMethod', '')} {http.get('HttpURL', '')}".strip() or "-"
        services = ", ".join(sorted({str(s.get("Name")) for s in summary.get("ServiceIds") or []}))
        start = summary.get("StartTime")  # a datetime from boto3
        rows.append(
            [
                f'<a class="trace-link" href="/traces/{quote(trace_id)}">{escape(trace_id)}</a>',
                escape(_time(start)),
                escape(request),
                escape(str(http.get("HttpStatus", "-"))),
                _ms(summary.get("Duration")),
                _status_badge(
                    badge_status(
                        fault=summary.get("HasFault"),
                        throttle=summary.get("HasThrottle"),
                        error=summary.get("HasError"),
                    )
                ),
                escape(services),
            ]
        )
    columns = ("Trace", "Started", "Request", "Status", "Duration", "Result", "Services")
    return _table("Traces, newest first", columns, rows, caption="Newest first")


def _table(label: str, columns: tuple[str, ...], rows: list[list[str]], caption: str | None = None) -> str:
    """A table that scrolls in its own region if it must; on a phone each row is a card whose cells
    carry their column's name (``data-label``, shown by the stylesheet)."""
    head = "".join(f'<th scope="col">{escape(c)}</th>' for c in columns)
    body = "".join(
        "<tr>"
        + "".join(f'<td data-label="{escape(c)}">{cell}</td>' for c, cell in zip(columns, row, strict=True))
        + "</tr>"
        for row in rows
    )
    title = f"<caption>{escape(caption)}</caption>" if caption else ""
    return (
        f'<div class="table" tabindex="0" role="region" aria-label="{escape(label)}">'
        f"<table>{title}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>"
    )


def traces_page(summaries: list[dict[str, Any]], expression: str, minutes: int, error: str | None) -> str:
    form = (
        '<form class="filters" method="get" action="/traces" role="search">'
        '<label for="filter">Filter expression</label>'
        f'<input id="filter" name="filter" value="{escape(expression)}" '
        'placeholder="service(&quot;postcards-api&quot;) AND fault" autocomplete="off" spellcheck="false">'
        f"{range_select(minutes)}<button type=submit>Show traces</button>"
        '<p class="hint">X-Ray\'s filter expressions, the subset the local X-Ray serves: '
        '<code>service("name")</code>, '
        "<code>http.status = 500</code>, <code>error</code>, <code>fault</code>, <code>throttle</code>, "
        '<code>duration &gt; 1</code>, <code>annotation.key = "value"</code>, with AND, OR, NOT.</p></form>'
    )
    return layout("Traces", "/traces", form + (problem(error) if error else "") + trace_list(summaries))


def _details(row: Row) -> str:
    """A row's annotations, metadata and AWS fields, folded (``<details>``: no script needed)."""
    parts, kinds = [], []
    if row.aws:
        kinds.append("AWS")
        items = "".join(f"<dt>{escape(k)}</dt><dd>{escape(str(v))}</dd>" for k, v in sorted(row.aws.items()))
        parts.append(f'<p class="detail-head">AWS</p><dl>{items}</dl>')
    if row.annotations:
        kinds.append(f"annotations ({len(row.annotations)})")
        items = "".join(
            f"<dt>{escape(k)}</dt><dd>{escape(json.dumps(v))}</dd>"
            for k, v in sorted(row.annotations.items())
        )
        parts.append(f'<p class="detail-head">Annotations</p><dl>{items}</dl>')
    if row.metadata:
        kinds.append("metadata")
        dumped = escape(json.dumps(row.metadata, indent=2, sort_keys=True))
        parts.append(f'<p class="detail-head">Metadata</p><pre>{dumped}</pre>')
    if not parts:
        return ""
    return (
        f"<details><summary>{escape(', '.join(kinds))}"
        f'<span class="visually-hidden"> of {escape(row.name)}</span></summary>{"".join(parts)}</details>'
    )


def waterfall_page(drawn: Waterfall) -> str:
    rows = []
    for row in drawn.rows:
        x, width = drawn.bar(row)
        badges = "" if row.status == "ok" else f" {_status_badge(row.status)}"
        if row.in_progress:
            badges += ' <span class="badge badge-progress">in progress</span>'
        status = f" · HTTP {row.http_status}" if row.http_status is not None else ""
        exceptions = "".join(f'<p class="exception">{escape(m)}</p>' for m in row.exceptions)
        rows.append(
            f'<li class="span depth-{row.depth} {"segment" if row.segment else "subsegment"} '
            f'status-{row.status}">'
            f'<div class="span-label"><span class="span-name">{escape(row.name)}</span> '
            f'<span class="span-kind">{escape(row.kind)}</span>'
            f"{badges}{exceptions}{_details(row)}</div>"
            f'<div class="span-bar"><svg viewBox="0 0 1000 14" preserveAspectRatio="none" aria-hidden="true">'
            f'<rect class="track" x="0" y="0" width="1000" height="14"/>'
            f'<rect class="bar bar-{row.status}" x="{x:.1f}" y="0" width="{width:.1f}" height="14"/></svg>'
            f'<span class="span-time">{_ms(row.duration_s)} at +{_ms(row.offset_s)}{escape(status)}</span>'
            "</div>"
            "</li>"
        )
    head = (
        f'<p class="trace-head">Trace <code>{escape(drawn.trace_id)}</code>, '
        f"started {escape(_time(drawn.start))}, "
        f"{_ms(drawn.duration_s)} in all, {len(drawn.rows)} segments and subsegments.</p>"
        '<p class="legend" aria-hidden="true"><span class="key key-ok">ok</span> '
        '<span class="key key-error">error (4xx)</span> '
        '<span class="key key-throttle">throttle (429)</span> '
        '<span class="key key-fault">fault (5xx)</span></p>'
    )
    body = head + f'<ol class="waterfall" aria-label="Timeline of the trace">{"".join(rows)}</ol>'
    body += f'<p><a href="/traces?{urlencode({"filter": ""})}">All traces</a></p>'
    return layout("Trace timeline", "/traces", body)


# --- service map -----------------------------------------------------------------------------------


def service_map_section(services: list[dict[str, Any]], minutes: int) -> str:
    if not services:
        return '<p class="empty">No services in this range yet: the map fills in as requests are traced.</p>'
    drawn = service_map.layout(services)
    calls = [
        [
            f"{escape(edge.source.name)} → {escape(edge.target.name)}",
            str(edge.stats.total),
            "-" if edge.stats.average_ms is None else f"{edge.stats.average_ms:.1f} ms",
            edge.stats.rate(edge.stats.errors),
            edge.stats.rate(edge.stats.throttles),
            edge.stats.rate(edge.stats.faults),
        ]
        for edge in drawn.edges
    ]
    nodes = [
        [
            escape(node.name),
            escape(node.type),
            str(node.stats.total),
            escape(service_map.node_rates(node.stats)),
        ]
        for node in drawn.nodes
    ]
    return (
        '<div class="map-layout">'
        f'<figure class="map-figure">{service_map.svg(drawn)}<figcaption>The last {minutes} minutes: '
        "each node's requests and average response time; red rings faults, orange throttles, "
        "yellow errors.</figcaption></figure>"
        '<div class="map-tables">'
        + _table(
            "Calls between services",
            ("Call", "Requests", "Avg latency", "Errors", "Throttles", "Faults"),
            calls,
            caption="Calls between services",
        )
        + _table("Services", ("Service", "Type", "Requests", "Error rates"), nodes, caption="Services")
        + "</div></div>"
    )


def map_page(services: list[dict[str, Any]], minutes: int, error: str | None) -> str:
    form = (
        f'<form class="filters" method="get" action="/map">{range_select(minutes)}'
        "<button type=submit>Show map</button></form>"
    )
    return layout(
        "Service map", "/map", form + (problem(error) if error else service_map_section(services, minutes))
    )


def overview_page(services: list[dict[str, Any]], summaries: list[dict[str, Any]], errors: list[str]) -> str:
    body = "".join(problem(e) for e in errors)
    body += "<h2>Service map, last 60 minutes</h2>" + service_map_section(services, 60)
    body += "<h2>Latest traces</h2>" + trace_list(summaries[:10])
    return layout("Overview", "/", body)


# --- functions -------------------------------------------------------------------------------------


def functions_page(
    functions: list[dict[str, Any]], environments: list[dict[str, Any]], error: str | None
) -> str:
    counts: dict[str, list[dict[str, Any]]] = {}
    for environment in environments:
        counts.setdefault(environment["function"], []).append(environment)
    rows = [
        [
            f'<a href="/functions/{quote(f["FunctionName"])}">{escape(f["FunctionName"])}</a>',
            escape(str(f.get("Runtime", ""))),
            f"{f.get('MemorySize', '')} MB",
            escape(_tracing(f)),
            str(len(counts.get(f["FunctionName"], []))),
        ]
        for f in functions
    ]
    columns = ("Function", "Runtime", "Memory", "Tracing", "Live environments")
    table = (
        _table("Functions", columns, rows, caption="Functions")
        if functions
        else '<p class="empty">No functions deployed.</p>'
    )
    return layout("Functions", "/functions", (problem(error) if error else "") + table)


def environments_table(environments: list[dict[str, Any]]) -> str:
    if not environments:
        return '<p class="empty">No live execution environment: the next invocation is a cold start.</p>'
    rows = [
        [
            f"<code>{escape(e['id'][:8])}</code>",
            escape(e["version"]),
            "provisioned" if e["init_type"] == "provisioned-concurrency" else "on-demand",
            escape(e["state"]),
            str(e["invocations"]),
            f"{e['cold_starts']} cold, {e['warm_starts']} warm",
            _init(e["init_duration_ms"]),
            f"{e['max_memory_mib']:.0f} / {e['memory_mb']} MB",
        ]
        for e in environments
    ]
    columns = (
        "Environment",
        "Version",
        "Type",
        "State",
        "Invocations",
        "Starts",
        "Init duration",
        "Memory used",
    )
    return _table("Execution environments", columns, rows)


def log_section(events: list[dict[str, Any]]) -> str:
    if not events:
        return '<p class="empty">No log events in the last hour.</p>'
    lines = "".join(
        f"<li><time>{_clock_ms(e['timestamp'])}</time> "
        f'<span class="log-stream">{escape(str(e.get("logStreamName", "")).rsplit("]", 1)[-1][:8])}</span> '
        f'<span class="log-message">{escape(str(e.get("message", "")).rstrip())}</span></li>'
        for e in events
    )
    return f'<ol class="logs" tabindex="0" aria-label="Log events, oldest first">{lines}</ol>'


def function_page(  # noqa: PLR0917 - one argument per section of the page
    name: str,
    configuration: dict[str, Any] | None,
    environments: list[dict[str, Any]],
    charts: list[str],
    events: list[dict[str, Any]],
    errors: list[str],
) -> str:
    body = "".join(problem(e) for e in errors)
    if configuration is not None:
        concurrency = configuration.get("ReservedConcurrentExecutions")
        body += (
            '<dl class="facts">'
            f"<dt>Runtime</dt><dd>{escape(str(configuration.get('Runtime', '')))}</dd>"
            f"<dt>Memory</dt><dd>{configuration.get('MemorySize', '')} MB</dd>"
            f"<dt>Timeout</dt><dd>{configuration.get('Timeout', '')} s</dd>"
            f"<dt>Tracing</dt><dd>{escape(_tracing(configuration))}</dd>"
            f"<dt>Reserved concurrency</dt><dd>{'unreserved' if concurrency is None else concurrency}</dd>"
            "</dl>"
        )
    body += "<h2>Execution environments</h2>" + environments_table(environments)
    body += '<h2>Metrics, last 60 minutes</h2><div class="charts">' + "".join(charts) + "</div>"
    body += "<h2>Logs</h2>" + log_section(events)
    return layout(name, "/functions", body)


def chart_figure(title: str, svg: str) -> str:
    return f'<figure class="chart-figure"><figcaption>{escape(title)}</figcaption>{svg}</figure>'


# --- alarms ----------------------------------------------------------------------------------------


def alarms_page(alarms: list[tuple[dict[str, Any], str]], error: str | None) -> str:
    if error:
        return layout("Alarms", "/alarms", problem(error))
    if not alarms:
        return layout("Alarms", "/alarms", '<p class="empty">No alarms.</p>')
    items = []
    for alarm, chart in alarms:
        state = str(alarm.get("StateValue", "INSUFFICIENT_DATA"))
        dims = ", ".join(f"{d['Name']}={d['Value']}" for d in alarm.get("Dimensions") or [])
        items.append(
            f'<article class="alarm alarm-{escape(state.lower())}"><h2>{escape(alarm["AlarmName"])} '
            f'<span class="badge badge-{escape(state.lower())}">{escape(state)}</span></h2>'
            f'<p class="wrap">{escape(str(alarm.get("Namespace", "")))} '
            f"{escape(str(alarm.get('MetricName', '')))} ({escape(dims)}): "
            f"{escape(str(alarm.get('Statistic') or alarm.get('ExtendedStatistic') or ''))} "
            f"{escape(str(alarm.get('ComparisonOperator', '')))} {alarm.get('Threshold', '')} over "
            f"{alarm.get('DatapointsToAlarm') or alarm.get('EvaluationPeriods', '')} of "
            f"{alarm.get('EvaluationPeriods', '')} periods of {alarm.get('Period', '')} s</p>"
            f'<p class="reason wrap">{escape(str(alarm.get("StateReason", "")))}</p>'
            f"{chart}</article>"
        )
    return layout("Alarms", "/alarms", f'<div class="alarms">{"".join(items)}</div>')

"""The console's server: a ``local.lifecycle.Service`` on its own port, HTTPS only (the local CA's
loopback leaf: ``https://localhost:4600``), read-only (GET and HEAD; anything else is 405).

Every answer carries the same rules as the site's: a strict Content-Security-Policy (nothing but
this origin's stylesheet; no script at all), no framing, no referrer, nosniff, and no caching of
pages that change with every request. The AWS calls are blocking boto3 calls, made in threads.
"""

from __future__ import annotations

import asyncio
import logging
import re
import ssl
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from aiohttp import web
from botocore.exceptions import BotoCoreError, ClientError

from local.console import charts, pages, waterfall
from local.console.sources import Series, SourceError, Sources
from local.tls.authority import LeafFiles
from local.tls.listener import Listener
from local.tls.policy import TlsPolicy, server_context
from local.tls.router import TlsRouter, TlsSite

log = logging.getLogger("local.console")

STYLESHEET = Path(__file__).with_name("static") / "console.css"
ICON = Path(__file__).with_name("static") / "favicon.svg"
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Strict-Transport-Security": "max-age=31536000",
    "Cache-Control": "no-store",
}
# As the edge's: TLS 1.2+ with the ECDSA suites the local CA's P-256 leaves sign.
TLS_POLICY = TlsPolicy(
    "local console (TLS 1.2+)",
    ssl.TLSVersion.TLSv1_2,
    ("ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-ECDSA-CHACHA20-POLY1305"),
)
_TRACE_ID = re.compile(r"^1-[0-9a-f]{8}-[0-9a-f]{24}$")
_FUNCTION_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
MINUTES_DEFAULT = 60

# Lambda's built-in metrics a function's page draws (namespace AWS/Lambda, dimension FunctionName).
FUNCTION_METRICS = (
    ("Invocations", "Sum"),
    ("Errors", "Sum"),
    ("Throttles", "Sum"),
    ("Duration", "Average"),
    ("ConcurrentExecutions", "Maximum"),
)


class Console:
    def __init__(self, sources: Sources, host: str, port: int, leaf: LeafFiles) -> None:
        self.sources = sources
        self.host = host
        self.port = port
        self.leaf = leaf
        self._listener: Listener | None = None
        self._web: web.Server | None = None
        self._runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        return f"https://localhost:{self.port}"

    def app(self) -> web.Application:
        app = web.Application(middlewares=[_headers])
        app.router.add_get("/", self.overview)
        app.router.add_get("/traces", self.traces)
        app.router.add_get("/traces/{trace_id}", self.trace)
        app.router.add_get("/map", self.service_map)
        app.router.add_get("/functions", self.functions)
        app.router.add_get("/functions/{name}", self.function)
        app.router.add_get("/alarms", self.alarms)
        app.router.add_get("/console.css", self.stylesheet)
        app.router.add_get("/favicon.svg", self.icon)
        return app

    # --- lifecycle ---------------------------------------------------------------------------------

    async def start(self) -> None:
        self._runner = web.AppRunner(self.app(), access_log=None)
        await self._runner.setup()
        server = self._runner.server
        assert server is not None
        context = server_context(self.leaf, TLS_POLICY)
        router = TlsRouter().single(TlsSite(("localhost",), context, server, TLS_POLICY.name))
        self._listener = Listener(self.host, self.port, plain=None, tls=router)
        await self._listener.start()
        self.port = self._listener.port

    async def reload(self) -> None:
        """Everything is read afresh on each request."""

    async def stop(self) -> None:
        if self._listener is not None:
            await self._listener.close()
            self._listener = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # --- pages -----------------------------------------------------------------------------------

    async def overview(self, request: web.Request) -> web.Response:
        errors: list[str] = []
        services = await _read(errors, self.sources.service_graph, MINUTES_DEFAULT) or []
        summaries = await _read(errors, self.sources.trace_summaries, "", MINUTES_DEFAULT) or []
        return _html(pages.overview_page(services, summaries, errors))

    async def traces(self, request: web.Request) -> web.Response:
        expression = request.query.get("filter", "").strip()[:2000]
        minutes = _minutes(request)
        errors: list[str] = []
        summaries = await _read(errors, self.sources.trace_summaries, expression, minutes) or []
        return _html(pages.traces_page(summaries, expression, minutes, errors[0] if errors else None))

    async def trace(self, request: web.Request) -> web.Response:
        trace_id = request.match_info["trace_id"]
        if not _TRACE_ID.match(trace_id):
            return _html(
                pages.layout("Trace", "/traces", pages.problem(f"{trace_id!r} is not an X-Ray trace id")), 400
            )
        errors: list[str] = []
        found = await _read(errors, self.sources.trace, trace_id)
        if found is None:
            message = errors[0] if errors else f"Trace {trace_id} is not (or no longer) stored."
            return _html(pages.layout("Trace", "/traces", pages.problem(message)), 404)
        return _html(pages.waterfall_page(waterfall.build(found)))

    async def service_map(self, request: web.Request) -> web.Response:
        minutes = _minutes(request)
        errors: list[str] = []
        services = await _read(errors, self.sources.service_graph, minutes) or []
        return _html(pages.map_page(services, minutes, errors[0] if errors else None))

    async def functions(self, request: web.Request) -> web.Response:
        errors: list[str] = []
        functions = await _read(errors, self.sources.functions) or []
        environments = await _read(errors, self.sources.environments) or []
        return _html(pages.functions_page(functions, environments, errors[0] if errors else None))

    async def function(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        if not _FUNCTION_NAME.match(name):
            return _html(
                pages.layout("Function", "/functions", pages.problem(f"{name!r} is not a function name")), 400
            )
        errors: list[str] = []
        found = await _read(errors, self.sources.function, name)
        configuration = (found or {}).get("Configuration")
        if configuration is None:
            return _html(pages.function_page(name, None, [], [], [], errors), 404)
        environments = [
            e for e in await _read(errors, self.sources.environments) or [] if e["function"] == name
        ]
        end = time.time()
        figures = []
        for index, (metric, statistic) in enumerate(FUNCTION_METRICS):
            series = await _read(
                errors, self.sources.metric, "AWS/Lambda", metric, {"FunctionName": name}, statistic
            ) or Series(f"{metric} ({statistic})", "", ())
            svg = charts.line_chart(series, end - MINUTES_DEFAULT * 60, end, chart_id=f"chart-{index}")
            figures.append(pages.chart_figure(series.label, svg))
        events = (
            await _read(
                errors,
                self.sources.log_events,
                configuration.get("LoggingConfig", {}).get("LogGroup") or f"/aws/lambda/{name}",
            )
            or []
        )
        return _html(pages.function_page(name, configuration, environments, figures, events, errors))

    async def alarms(self, request: web.Request) -> web.Response:
        errors: list[str] = []
        alarms = await _read(errors, self.sources.alarms)
        if alarms is None:
            return _html(pages.alarms_page([], errors[0] if errors else None))
        end = time.time()
        drawn = []
        for index, alarm in enumerate(alarms):
            chart = ""
            statistic = alarm.get("Statistic") or alarm.get("ExtendedStatistic")
            if alarm.get("MetricName") and statistic:
                dimensions = {d["Name"]: d["Value"] for d in alarm.get("Dimensions") or []}
                period = int(alarm.get("Period") or 60)
                series = await _read(
                    errors,
                    lambda a=alarm, d=dimensions, s=statistic, p=period: self.sources.metric(
                        a["Namespace"], a["MetricName"], d, s, minutes=MINUTES_DEFAULT, period_s=p
                    ),
                )
                if series is not None:
                    chart = charts.line_chart(
                        series,
                        end - MINUTES_DEFAULT * 60,
                        end,
                        threshold=float(alarm.get("Threshold") or 0.0),
                        chart_id=f"alarm-chart-{index}",
                    )
            drawn.append((alarm, chart))
        return _html(pages.alarms_page(drawn, None))

    async def stylesheet(self, request: web.Request) -> web.Response:
        return web.Response(body=STYLESHEET.read_bytes(), content_type="text/css", charset="utf-8")

    async def icon(self, request: web.Request) -> web.Response:
        return web.Response(body=ICON.read_bytes(), content_type="image/svg+xml")


@web.middleware
async def _headers(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    if request.method not in {"GET", "HEAD"}:
        response: web.StreamResponse = web.Response(status=405, text="The console is read-only.\n")
        response.headers["Allow"] = "GET, HEAD"
    else:
        try:
            response = await handler(request)
        except web.HTTPException as error:
            response = error
        except Exception as error:  # a bug here: say so on the page, and in make up's log
            log.exception("console: %s %s failed", request.method, request.path)
            response = _html(pages.layout("Error", "", pages.problem(f"The console failed: {error!r}")), 500)
    response.headers.update(SECURITY_HEADERS)
    return response


async def _read(errors: list[str], call: Callable[..., Any], *arguments: Any) -> Any:
    """``call(*arguments)`` in a thread; None (and the message in ``errors``) if the source failed."""
    try:
        return await asyncio.to_thread(call, *arguments)
    except (SourceError, ClientError, BotoCoreError) as error:
        errors.append(str(error))
        return None


def _minutes(request: web.Request) -> int:
    try:
        minutes = int(request.query.get("minutes", MINUTES_DEFAULT))
    except ValueError:
        return MINUTES_DEFAULT
    return minutes if minutes in pages.RANGES else MINUTES_DEFAULT


def _html(document: str, status: int = 200) -> web.Response:
    return web.Response(text=document, status=status, content_type="text/html", charset="utf-8")

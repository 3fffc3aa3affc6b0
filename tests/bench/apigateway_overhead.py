"""API Gateway data plane overhead: the gateway with an instant Invoker vs bare servers.

Three servers, each in a child process on loopback (uvloop, as ``make up``), answer the same JSON:
``bare_aiohttp`` (an aiohttp web.Application, what the gateway was served on before), ``bare_http1``
(the gateway's own HTTP/1.1 server with a handler that answers at once: the floor of its wire) and
the gateway with an Invoker that answers at once. The same keep-alive client (aiohttp, ``--clients``
concurrent, ``--requests`` per server and round) drives them in turn, ``--rounds`` times; figures
are medians over rounds. The gateway minus ``bare_http1`` is what routing, the proxy event,
throttling and the response mapping cost per request. Server CPU per request (from /proc) is the
figure that least depends on other load on the machine.

Also in process (no sockets): the hot path (request parts -> event JSON -> Invoke -> response) and
the whole server path (raw request bytes into the gateway's HTTP protocol -> response bytes).
Writes build/bench/apigateway_overhead.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import statistics
import time
from pathlib import Path
from typing import Any

import aiohttp
import orjson

from local.invoke import InvokeRequest, InvokeResult
from local.services.apigateway.events import EventContext, RequestIds, build_event, header_pairs, query_pairs
from local.services.apigateway.models import (
    GatewayState,
    Integration,
    Method,
    Resource,
    RestApi,
    Stage,
    Throttle,
)
from local.services.apigateway.responses import from_lambda_proxy
from local.services.apigateway.routing import RoutingTable
from tests.bench._results import percentile, write

ANSWER = {"statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": '{"ok": true}'}
ANSWER_BYTES = json.dumps(ANSWER).encode()
URI = (
    "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/"
    "arn:aws:lambda:us-east-1:123456789012:function:postcards:live/invocations"
)


def _state() -> GatewayState:
    integration = Integration(type="AWS_PROXY", uri=URI, http_method="POST")
    resources = (
        Resource("r0", "/"),
        Resource("r1", "/v1"),
        Resource("r2", "/v1/instance", {"GET": Method("GET", integration=integration)}),
        Resource("r3", "/v1/postcards/{id}", {"GET": Method("GET", integration=integration)}),
    )
    api = RestApi(
        "bench00001",
        "bench",
        resources,
        stages={"v1": Stage("v1", "d1", throttling={"*/*": Throttle(100_000, 50_000)})},
    )
    return GatewayState("123456789012", "us-east-1", apis={api.id: api})


class InstantInvoker:
    async def invoke(self, request: InvokeRequest) -> InvokeResult:
        return InvokeResult(200, ANSWER_BYTES)


SERVERS = ("bare_aiohttp", "bare_http1", "gateway")
PATH = "/v1/v1/postcards/abc"
# What the benchmark's aiohttp client sends, for the in-process server path.
RAW_REQUEST = (
    b"GET /v1/v1/postcards/abc HTTP/1.1\r\nHost: 127.0.0.1:4580\r\nAccept: */*\r\n"
    b"Accept-Encoding: gzip, deflate\r\nUser-Agent: Python/3.13 aiohttp/3.13.2\r\n\r\n"
)


def _serve(kind: str, port_pipe: Any, loop: str) -> None:
    from aiohttp import web

    from local.services.apigateway.http1 import HttpServer, Request
    from local.services.apigateway.responses import HttpResponse
    from local.services.apigateway.server import ApiGateway
    from local.services.apigateway.snapshot import Snapshot

    async def main() -> None:
        if kind == "gateway":
            gateway = ApiGateway(InstantInvoker(), lambda: Snapshot(_state()), port=0)
            await gateway.start()
            port = gateway.port
        elif kind == "bare_http1":
            answer = HttpResponse(200, [("Content-Type", "application/json")], b'{"ok": true}')

            async def instant(request: Request) -> HttpResponse:
                return answer

            server = HttpServer(instant, refuse_too_large=lambda _: answer, max_body_bytes=1024)
            await server.start("127.0.0.1", 0)
            port = server.port
        else:
            assert kind == "bare_aiohttp", kind

            async def bare(request: web.Request) -> web.Response:
                return web.Response(body=b'{"ok": true}', content_type="application/json")

            app = web.Application()
            app.router.add_get("/{tail:.*}", bare)
            runner = web.AppRunner(app, access_log=None)
            await runner.setup()
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        port_pipe.send(port)
        await asyncio.Event().wait()

    _run(main(), loop)


def _run(coroutine: Any, loop: str) -> Any:
    if loop == "uvloop":
        import uvloop

        return uvloop.run(coroutine)
    return asyncio.run(coroutine)


async def _drive(url: str, clients: int, total: int) -> dict[str, float]:
    latencies: list[float] = []
    per_client = total // clients
    connector = aiohttp.TCPConnector(limit=clients)
    async with aiohttp.ClientSession(connector=connector) as session:
        for _ in range(200):  # warm-up
            async with session.get(url) as response:
                await response.read()

        async def client() -> None:
            for _ in range(per_client):
                started = time.perf_counter()
                async with session.get(url) as response:
                    await response.read()
                    assert response.status == 200, response.status
                latencies.append((time.perf_counter() - started) * 1000)

        started = time.perf_counter()
        await asyncio.gather(*(client() for _ in range(clients)))
        elapsed = time.perf_counter() - started
    return {
        "requests": len(latencies),
        "p50_ms": round(statistics.median(latencies), 3),
        "p99_ms": round(percentile(latencies, 0.99), 3),
        "req_per_s": round(len(latencies) / elapsed, 1),
    }


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux /proc), robust to other load on the machine."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _measure(kind: str, path: str, clients: int, total: int, loop: str) -> dict[str, float]:
    context = multiprocessing.get_context("spawn")
    parent, child = context.Pipe()
    process = context.Process(target=_serve, args=(kind, child, loop), daemon=True)
    process.start()
    try:
        if not parent.poll(60):
            raise RuntimeError(f"{kind} server did not start")
        port = parent.recv()
        assert process.pid is not None
        cpu_before = _cpu_seconds(process.pid)
        result = asyncio.run(_drive(f"http://127.0.0.1:{port}{path}", clients, total))
        # Includes the 200 warm-up requests.
        result["server_cpu_us_per_request"] = round(
            (_cpu_seconds(process.pid) - cpu_before) / (result["requests"] + 200) * 1e6, 1
        )
        return result
    finally:
        process.kill()
        process.join(10)


def _hot_path_us(iterations: int) -> dict[str, float]:
    """The per-request work without sockets: route, event, JSON both ways, response mapping."""
    table = RoutingTable(_state())
    headers_in = [("Host", "127.0.0.1:4580"), ("Accept", "*/*"), ("User-Agent", "bench/1")]
    started = time.perf_counter()
    for _ in range(iterations):
        target = table.resolve("127.0.0.1:4580", "/v1/v1/postcards/abc")
        assert target is not None
        match = target.routes.match("GET", target.resource_path)
        assert match is not None
        ids = RequestIds.new()
        context = EventContext(
            "GET",
            target.event_path,
            target.request_context_path,
            match.resource.path,
            match.resource.id,
            match.path_parameters,
            "v1",
            {},
            "d1",
            "bench00001",
            "123456789012",
            target.domain_name,
            target.domain_prefix,
            "HTTP/1.1",
            "127.0.0.1",
            "bench/1",
            ids,
        )
        pairs = header_pairs(headers_in, source_ip="127.0.0.1", port=4580, trace_id=ids.trace_id)
        event = build_event(context, pairs, query_pairs("limit=5"), b"", binary=False)
        orjson.dumps(event)
        from_lambda_proxy(ANSWER_BYTES)
    per_request = (time.perf_counter() - started) / iterations * 1e6
    return {"iterations": iterations, "per_request_us": round(per_request, 1)}


class _Transport:
    """Enough of a transport for the protocol to answer into: counts what it is given."""

    def __init__(self) -> None:
        self.written = 0

    def write(self, data: bytes) -> None:
        self.written += len(data)

    def is_closing(self) -> bool:
        return False

    def get_extra_info(self, name: str) -> Any:
        return ("127.0.0.1", 4580)

    def pause_reading(self) -> None: ...

    def resume_reading(self) -> None: ...


async def _server_path(iterations: int) -> dict[str, float]:
    """Raw request bytes through the gateway's HTTP protocol and back, no sockets."""
    from local.services.apigateway.server import ApiGateway
    from local.services.apigateway.snapshot import Snapshot

    gateway = ApiGateway(InstantInvoker(), lambda: Snapshot(_state()), port=0)
    await gateway.start()
    protocol = gateway.server.protocol()
    transport = _Transport()
    protocol.connection_made(transport)  # type: ignore[arg-type]
    try:
        for _ in range(1000):  # warm-up
            protocol.data_received(RAW_REQUEST)
        written = transport.written
        started = time.perf_counter()
        for _ in range(iterations):
            protocol.data_received(RAW_REQUEST)
        per_request = (time.perf_counter() - started) / iterations * 1e6
        assert transport.written - written >= iterations * 200, "the gateway did not answer"
    finally:
        protocol.connection_lost(None)
        await gateway.stop()
    return {"iterations": iterations, "per_request_us": round(per_request, 1)}


def _median(rounds: list[dict[str, float]]) -> dict[str, float]:
    return {key: statistics.median(r[key] for r in rounds) for key in rounds[0]}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.bench apigateway_overhead")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--requests", type=int, default=8000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--loop",
        choices=("uvloop", "asyncio"),
        default="uvloop",
        help="the servers' event loop (make up runs on uvloop)",
    )
    args = parser.parse_args(argv)

    hot_path = _hot_path_us(20_000)
    server_path = _run(_server_path(20_000), args.loop)
    measured: dict[str, list[dict[str, float]]] = {kind: [] for kind in SERVERS}
    for _ in range(args.rounds):  # alternating, so a change in the machine's load hits all alike
        for kind in SERVERS:
            measured[kind].append(_measure(kind, PATH, args.clients, args.requests, args.loop))
    servers = {kind: _median(rounds) for kind, rounds in measured.items()}
    gateway, floor = servers["gateway"], servers["bare_http1"]
    result = {
        "clients": args.clients,
        "rounds": args.rounds,
        "loop": args.loop,
        "hot_path_in_process": hot_path,
        "server_path_in_process": server_path,
        "bare_aiohttp": servers["bare_aiohttp"],
        "bare_http1": floor,
        "gateway_instant_invoker": gateway,
        # what the gateway adds to its own HTTP server
        "overhead_p50_ms": round(gateway["p50_ms"] - floor["p50_ms"], 3),
        "overhead_server_cpu_us_per_request": round(
            gateway["server_cpu_us_per_request"] - floor["server_cpu_us_per_request"], 1
        ),
    }
    path = write("apigateway_overhead", result)
    print(json.dumps(result, indent=2))
    print(f"-> {path}")
    return 0

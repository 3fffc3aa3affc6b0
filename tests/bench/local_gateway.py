"""Warm requests through our API Gateway + Lambda executor vs serverless-offline, same handler.

The peer is serverless-offline (``tests/bench/_serverless_offline.py``). Both serve the same trivial
handler (a proxy response); ours is a REST API with an AWS_PROXY integration created through the
edge, on a local cloud started with ``--no-terraform``, twice: untraced (``ours``) and traced as the
product is deployed (``ours_traced``: the stage traces, the function's tracing is Active, the
sampling rule Terraform creates; metrics are published for both, as on AWS). See _gateway_deploy.

The same keep-alive aiohttp client drives all three, in alternating rounds (``--rounds``), each
round bounded by ``--requests`` and ``--seconds``:
- ``sequential``: one client, p50/p99;
- ``concurrent``: ``--clients`` clients (default 8): req/s, p50/p99, and the CPU each process spent
  per request, by role (``cpu_us_per_request``: the client, i.e. this process; our up process,
  execution environments and moto; serverless-offline's node and python processes), with
  ``server_cpu_us_per_request`` the servers' sum;
- ``syscalls_per_request``: a further concurrent sample under ``perf stat`` (system calls by role;
  what a request costs on a machine follows what a system call costs there), where perf is allowed;
- ``first_request``: the first request after start (a cold start on both);
- the overhead of each over calling the handler in process.

Then, ours only, with the peer stopped: ``GET /v1/instance`` of the real postcards function, as
deployed and with tracing off, cold start beside its REPORT's Init Duration and the same runs, and
``postcards_gap``: where its extra cost per request goes, beside the traced trivial handler's.

``goals`` holds issue 16's targets beside what was measured. Loopback only. Writes
build/bench/local_gateway.json (medians over rounds, ratios within this run).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from tests.bench import _gateway_deploy as deploy
from tests.bench import _syscalls
from tests.bench._load import bounded_clients
from tests.bench._processes import RoleCpu, by_role
from tests.bench._results import goal_line, percentile, write
from tests.bench._serverless_offline import ServerlessOffline
from tests.local.cloud_support import RunningCloud, start_cloud, stop_cloud

Roles = Callable[[], dict[str, list[int]]]


@dataclass(frozen=True)
class Target:
    name: str
    url: str
    roles: Roles  # the processes to account, by role (the client first)


def _ours_roles(up_pid: int) -> Roles:
    def classify(command: bytes) -> str:
        if b"bootstrap.py" in command:
            return "environments"
        return "moto" if b"local.controlplane" in command else "other"

    return lambda: {"client": [os.getpid()]} | by_role(up_pid, "up", classify)


def _peer_roles(node_pid: int) -> Roles:
    return lambda: (
        {"client": [os.getpid()]}
        | by_role(node_pid, "node", lambda command: "python" if b"python" in command else "other")
    )


def _init_duration_ms(cloud: RunningCloud, function: str) -> float:
    """Init Duration of the function's cold start, from its REPORT line in CloudWatch Logs."""
    logs = cloud.client("logs")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:  # lines are shipped to the control plane in batches
        try:
            events = logs.filter_log_events(logGroupName=f"/aws/lambda/{function}")["events"]
        except logs.exceptions.ResourceNotFoundException:
            events = []
        for event in events:
            match = re.search(r"Init Duration: ([\d.]+) ms", event["message"])
            if event["message"].startswith("REPORT") and match:
                return float(match[1])
        time.sleep(0.2)
    raise RuntimeError(f"no REPORT with Init Duration for {function} in CloudWatch Logs")


# --- measuring -------------------------------------------------------------------------------------


async def _get(session: aiohttp.ClientSession, url: str) -> float:
    started = time.perf_counter()
    async with session.get(url) as response:
        body = await response.read()
        if response.status != 200 or not body.startswith(b"{"):
            raise RuntimeError(f"{url} answered {response.status}: {body[:200]!r}")
    return (time.perf_counter() - started) * 1000


async def _first_request(url: str) -> float:
    async with aiohttp.ClientSession() as session:
        return await _get(session, url)


async def _run(
    url: str, clients: int, total: int, seconds: float, roles: Roles | None = None
) -> dict[str, Any]:
    """``clients`` keep-alive clients until ``total`` requests or ``seconds``; with ``roles``, also
    the CPU each role's processes spent per request."""
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=clients)) as session:
        await asyncio.gather(*(_get(session, url) for _ in range(clients * 10)))  # warm
        cpu = RoleCpu(roles) if roles else None
        if cpu:
            cpu.start()
        samples, elapsed = await bounded_clients(lambda: _get(session, url), clients, total, seconds)
        spent = cpu.stop() if cpu else {}
    measured: dict[str, Any] = {
        "n": len(samples),
        "requests_per_s": len(samples) / elapsed,
        "p50_ms": percentile(samples, 0.5),
        "p99_ms": percentile(samples, 0.99),
    }
    if spent:
        per_request = {role: seconds / len(samples) * 1e6 for role, seconds in spent.items()}
        measured["cpu_us_per_request"] = per_request
        measured["server_cpu_us_per_request"] = sum(v for k, v in per_request.items() if k != "client")
    return measured


async def _syscall_sample(target: Target, clients: int, total: int, seconds: float) -> dict[str, float]:
    """System calls per request by role, over one concurrent run under perf."""
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=clients)) as session:
        await asyncio.gather(*(_get(session, target.url) for _ in range(clients * 10)))  # warm
        with _syscalls.SyscallCount(target.roles()) as count:
            samples, _ = await bounded_clients(lambda: _get(session, target.url), clients, total, seconds)
    return {role: round(calls / len(samples), 1) for role, calls in count.by_role.items()}


def _median(values: list[Any]) -> Any:
    """The median of numbers, or of dicts of numbers key by key."""
    if isinstance(values[0], dict):
        return {key: _median([value[key] for value in values]) for key in values[0]}
    return round(statistics.median(values), 3)


def _medians(runs: list[dict[str, dict[str, Any]]]) -> dict[str, Any]:
    """Each figure's median over the rounds, per kind (sequential, concurrent)."""
    return {kind: _median([run[kind] for run in runs]) for kind in runs[0]}


def _in_process_ms() -> float:
    namespace: dict[str, Any] = {}
    exec(compile(deploy.HANDLER, "handler.py", "exec"), namespace)
    event = {"path": "/hello", "httpMethod": "GET", "headers": {}}
    started = time.perf_counter()
    for _ in range(20_000):
        namespace["handler"](event, None)
    return (time.perf_counter() - started) / 20_000 * 1000


# --- what the figures say --------------------------------------------------------------------------

RATIOS = (
    ("sequential_p50", "sequential", "p50_ms"),
    ("sequential_p99", "sequential", "p99_ms"),
    ("concurrent_p50", "concurrent", "p50_ms"),
    ("concurrent_p99", "concurrent", "p99_ms"),
    ("concurrent_requests_per_s", "concurrent", "requests_per_s"),
    ("server_cpu_per_request", "concurrent", "server_cpu_us_per_request"),
)
# Issue 16's warm-path goals (ours traced ÷ serverless-offline) and issue 11's tracing budget.
GOALS = (
    ("concurrent_requests_per_s", ">=", 1.1, "8 clients requests/s"),
    ("sequential_p50", "<=", 1.0, "1 client p50"),
    ("concurrent_p50", "<=", 1.0, "8 clients p50"),
    ("sequential_p99", "<=", 0.8, "1 client p99"),
    ("concurrent_p99", "<=", 0.8, "8 clients p99"),
)
TRACING_CPU_BUDGET = 1.10


def _ratios(ours: dict[str, Any], theirs: dict[str, Any]) -> dict[str, float]:
    return {key: round(ours[kind][metric] / theirs[kind][metric], 3) for key, kind, metric in RATIOS}


def goals(result: dict[str, Any]) -> list[dict[str, Any]]:
    ratios = result["ratios_ours_traced_over_serverless_offline"]
    found = [
        {"goal": f"{label}, ours traced ÷ serverless-offline", "target": f"{op} {bound}",
         "measured": ratios[key], "met": ratios[key] >= bound if op == ">=" else ratios[key] <= bound}
        for key, op, bound, label in GOALS
    ]  # fmt: skip
    tracing = result["tracing_cost"]["server_cpu_per_request"]
    found.append(
        {"goal": "server CPU per request, traced ÷ untraced", "target": f"<= {TRACING_CPU_BUDGET}",
         "measured": tracing, "met": tracing <= TRACING_CPU_BUDGET}
    )  # fmt: skip
    return found


def _postcards_gap(
    trivial: dict[str, Any], untraced: dict[str, Any], traced: dict[str, Any]
) -> dict[str, Any]:
    """CPU µs per request by role: the traced trivial handler, postcards without tracing (Powertools,
    its logging, our code) and as deployed (plus the X-Ray SDK's work and the segments it sends)."""

    def cpu(run: dict[str, Any]) -> dict[str, float]:
        return {role: round(value, 1) for role, value in run["concurrent"]["cpu_us_per_request"].items()}

    return {
        "cpu_us_per_request": {
            "trivial_traced": cpu(trivial), "postcards_untraced": cpu(untraced), "postcards": cpu(traced)
        },
        "requests_per_s": {
            "trivial_traced": trivial["concurrent"]["requests_per_s"],
            "postcards_untraced": untraced["concurrent"]["requests_per_s"],
            "postcards": traced["concurrent"]["requests_per_s"],
        },
    }  # fmt: skip


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.bench local_gateway")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--requests", type=int, default=4000)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    no_syscalls = _syscalls.unavailable()

    def measure(target: Target) -> dict[str, dict[str, Any]]:
        return {
            "sequential": asyncio.run(_run(target.url, 1, args.requests // 4, args.seconds / 2)),
            "concurrent": asyncio.run(
                _run(target.url, args.clients, args.requests, args.seconds, target.roles)
            ),
        }

    def syscalls(target: Target) -> dict[str, Any]:
        if no_syscalls:
            return {"unavailable": no_syscalls}
        try:
            return asyncio.run(_syscall_sample(target, args.clients, args.requests // 4, args.seconds / 2))
        except _syscalls.SyscallCountError as error:
            print(f"syscalls of {target.name} not counted: {error}", file=sys.stderr)
            return {"unavailable": str(error)}

    def alternate(targets: list[Target]) -> dict[str, list[dict[str, dict[str, Any]]]]:
        runs: dict[str, list[dict[str, dict[str, Any]]]] = {target.name: [] for target in targets}
        for round_number in range(args.rounds):
            shift = round_number % len(targets)
            for target in targets[shift:] + targets[:shift]:
                runs[target.name].append(measure(target))
        return runs

    with tempfile.TemporaryDirectory(prefix="bench-gateway-") as folder:
        peer = ServerlessOffline(Path(folder), deploy.HANDLER)
        cloud = start_cloud(Path(folder) / "cloud", "--no-terraform", "--console-logs", "none")
        try:
            deploy.sampling_rule(cloud)
            roles = _ours_roles(cloud.process.pid)
            ours = Target("ours", deploy.trivial(cloud, traced=False), roles)
            traced = Target("ours_traced", deploy.trivial(cloud, traced=True), roles)
            cards = Target("postcards", deploy.postcards(cloud, traced=True), roles)
            cards_untraced = Target("postcards_untraced", deploy.postcards(cloud, traced=False), roles)
            peer.start()
            assert peer.process is not None
            theirs = Target("serverless_offline", peer.url, _peer_roles(peer.process.pid))
            targets = [ours, traced, theirs]
            first = {target.name: asyncio.run(_first_request(target.url)) for target in targets}
            runs = alternate(targets)
            counted = {target.name: syscalls(target) for target in targets}
            peer.stop()  # the real function alone on the machine from here on
            cards_first = {t.name: asyncio.run(_first_request(t.url)) for t in (cards, cards_untraced)}
            cards_init = {
                cards.name: _init_duration_ms(cloud, "postcards"),
                cards_untraced.name: _init_duration_ms(cloud, "postcards-untraced"),
            }
            runs |= alternate([cards, cards_untraced])
            counted[cards.name] = syscalls(cards)
        finally:
            peer.stop()
            stop_cloud(cloud)
    in_process = _in_process_ms()
    result: dict[str, Any] = {
        "clients": args.clients,
        "rounds": args.rounds,
        "in_process_ms": round(in_process, 4),
    }
    for name in ("ours", "ours_traced", "serverless_offline"):
        medians = _medians(runs[name])
        result[name] = {
            "first_request_ms": round(first[name], 1),
            **medians,
            "syscalls_per_request": counted[name],
            "overhead_over_in_process_p50_ms": round(medians["sequential"]["p50_ms"] - in_process, 3),
        }
    peer_result = result["serverless_offline"]
    result["ratios_ours_over_serverless_offline"] = _ratios(result["ours"], peer_result)
    result["ratios_ours_traced_over_serverless_offline"] = _ratios(result["ours_traced"], peer_result)
    result["tracing_cost"] = _ratios(result["ours_traced"], result["ours"])
    for name in ("postcards", "postcards_untraced"):
        result[name] = {
            "first_request_ms": round(cards_first[name], 1),
            "init_duration_ms": round(cards_init[name], 1),
            **_medians(runs[name]),
        }
    result["postcards"]["syscalls_per_request"] = counted["postcards"]
    result["postcards_gap"] = _postcards_gap(
        result["ours_traced"], result["postcards_untraced"], result["postcards"]
    )
    result["goals"] = goals(result)
    path = write("local_gateway", result)
    print(json.dumps(result, indent=2))
    for goal in result["goals"]:
        print(goal_line(goal["goal"], goal["target"], goal["measured"], goal["met"]))
    print(f"written to {path}", file=sys.stderr)
    return 0

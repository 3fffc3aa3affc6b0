"""Lambda executor: warm invoke latency and throughput through the edge, cold starts, vs in process.

Starts a local cloud (``python -m local up --no-terraform``, console logs off) on free ports, deploys
a trivial handler (the one serverless-offline would run: a proxy response), and drives Lambda's
Invoke over HTTP with keep-alive aiohttp clients:

- ``in_process``: the same handler called in this process, no runtime, no HTTP (the floor);
- ``sequential``: one client, warm: p50/p99;
- ``concurrent``: ``--clients`` clients (default 8), bounded by ``--requests`` and ``--seconds``:
  req/s, p50/p99, and the CPU the cloud's own process and the environments spent per request;
- ``cold_start``: a configuration change forces a new environment; wall time of that invocation
  beside its REPORT's Init Duration (the runtime's and handler's own start).

Loopback only. Writes build/bench/local_invoke.json.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp

from tests.bench._load import bounded_clients
from tests.bench._processes import cpu_seconds, descendants
from tests.bench._results import percentile, write
from tests.local.cloud_support import RunningCloud, start_cloud, stop_cloud, zip_of

HANDLER = """
import json


def handler(event, context):
    body = json.dumps({"ok": True})
    return {"statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": body}
"""
EVENT = json.dumps(
    {"httpMethod": "GET", "path": "/hello", "headers": {"Accept": "application/json"}}
).encode()


def _environment_pids(up_pid: int) -> list[int]:
    """The execution environments: children of the cloud's process running the runtime bootstrap."""
    return [pid for pid, command in descendants(up_pid) if b"bootstrap.py" in command]


def _in_process_us(calls: int) -> float:
    namespace: dict[str, Any] = {}
    exec(compile(HANDLER, "handler.py", "exec"), namespace)
    handler = namespace["handler"]
    event = json.loads(EVENT)
    started = time.perf_counter()
    for _ in range(calls):
        json.dumps(handler(json.loads(json.dumps(event)), None))
    return (time.perf_counter() - started) / calls * 1e6


async def _invoke(
    session: aiohttp.ClientSession, url: str, tail: bool = False
) -> tuple[float, dict[str, str]]:
    headers = {"X-Amz-Log-Type": "Tail"} if tail else {}
    started = time.perf_counter()
    async with session.post(url, data=EVENT, headers=headers) as response:
        body = await response.read()
        if response.status != 200 or b"ok" not in body or "X-Amz-Function-Error" in response.headers:
            raise RuntimeError(f"invoke answered {response.status}: {body[:200]!r}")
        return (time.perf_counter() - started) * 1000, dict(response.headers)


async def _sequential(url: str, count: int) -> dict[str, float]:
    async with aiohttp.ClientSession() as session:
        for _ in range(200):
            await _invoke(session, url)
        samples = [(await _invoke(session, url))[0] for _ in range(count)]
    return {
        "n": count,
        "p50_ms": round(percentile(samples, 0.5), 3),
        "p99_ms": round(percentile(samples, 0.99), 3),
    }


async def _concurrent(
    cloud: RunningCloud, url: str, clients: int, total: int, seconds: float
) -> dict[str, float]:
    connector = aiohttp.TCPConnector(limit=clients)
    async with aiohttp.ClientSession(connector=connector) as session:
        await asyncio.gather(*(_invoke(session, url) for _ in range(clients * 20)))  # warm every environment

        async def latency() -> float:
            return (await _invoke(session, url))[0]

        environments = _environment_pids(cloud.process.pid)
        cpu_up, cpu_env = cpu_seconds(cloud.process.pid), sum(cpu_seconds(p) for p in environments)
        samples, elapsed = await bounded_clients(latency, clients, total, seconds)
        cpu_up = cpu_seconds(cloud.process.pid) - cpu_up
        cpu_env = sum(cpu_seconds(p) for p in environments) - cpu_env
    return {
        "clients": clients,
        "n": len(samples),
        "requests_per_s": round(len(samples) / elapsed, 1),
        "p50_ms": round(percentile(samples, 0.5), 3),
        "p99_ms": round(percentile(samples, 0.99), 3),
        "environments": len(environments),
        "cloud_process_cpu_us_per_request": round(cpu_up / len(samples) * 1e6, 1),
        "environments_cpu_us_per_request": round(cpu_env / len(samples) * 1e6, 1),
    }


async def _cold_starts(cloud: RunningCloud, name: str, url: str, rounds: int) -> dict[str, Any]:
    lambda_client = cloud.client("lambda")
    walls, inits = [], []
    async with aiohttp.ClientSession() as session:
        for round_number in range(rounds):
            # A configuration change retires the warm environments: the next invoke starts a new one.
            lambda_client.update_function_configuration(
                FunctionName=name, Environment={"Variables": {"ROUND": str(round_number)}}
            )
            wall, headers = await _invoke(session, url, tail=True)
            report = base64.b64decode(headers["X-Amz-Log-Result"]).decode()
            match = re.search(r"Init Duration: ([\d.]+) ms", report)
            if match is None:
                raise RuntimeError(f"no Init Duration in the cold start's log tail:\n{report}")
            walls.append(wall)
            inits.append(float(match[1]))
    return {
        "rounds": rounds,
        "first_response_ms_median": round(statistics.median(walls), 1),
        "init_duration_ms_median": round(statistics.median(inits), 1),
        "overhead_ms_median": round(statistics.median(w - i for w, i in zip(walls, inits, strict=True)), 1),
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.bench local_invoke")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--requests", type=int, default=8000)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--sequential", type=int, default=2000)
    parser.add_argument("--cold-rounds", type=int, default=5)
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="bench-local-") as folder:
        cloud = start_cloud(Path(folder), "--no-terraform", "--console-logs", "none")
        try:
            role = cloud.client("iam").create_role(RoleName="bench", AssumeRolePolicyDocument="{}")["Role"][
                "Arn"
            ]
            cloud.client("lambda").create_function(
                FunctionName="bench",
                Runtime="python3.13",
                Role=role,
                Handler="handler.handler",
                Code={"ZipFile": zip_of({"handler.py": HANDLER})},
                MemorySize=128,
            )
            # The edge by plain HTTP (its port answers both), as earlier runs measured it: no TLS cost.
            edge = cloud.aws_endpoint_url.replace("https://", "http://", 1)
            url = f"{edge}/2015-03-31/functions/bench/invocations"
            result = {
                "in_process_us_per_call": round(_in_process_us(20_000), 2),
                "sequential": asyncio.run(_sequential(url, args.sequential)),
                "concurrent": asyncio.run(_concurrent(cloud, url, args.clients, args.requests, args.seconds)),
                "cold_start": asyncio.run(_cold_starts(cloud, "bench", url, args.cold_rounds)),
            }
        finally:
            stop_cloud(cloud)
    result["overhead_over_in_process_p50_ms"] = round(
        result["sequential"]["p50_ms"] - result["in_process_us_per_call"] / 1000, 3
    )
    path = write("local_invoke", result)
    print(json.dumps(result, indent=2))
    print(f"written to {path}", file=sys.stderr)
    return 0

"""Warm requests through our API Gateway + Lambda executor vs serverless-offline, same handler.

The peer is serverless-offline (npm ``serverless@3`` + ``serverless-offline@13``, installed on first
use into tests/bench/.peers/, git-ignored): it also runs Python handlers without Docker, from its own
serverless.yml, with a Python process per concurrent request. Both serve the same trivial handler
(a proxy response) at ``GET /dev/hello``; ours is a REST API with an AWS_PROXY integration created
through the edge, on a local cloud started with ``--no-terraform``.

The same keep-alive aiohttp client drives both, in alternating rounds (``--rounds``), each round
bounded by ``--requests`` and ``--seconds``:
- ``sequential``: one client, p50/p99;
- ``concurrent``: ``--clients`` clients (default 8): req/s, p50/p99;
- ``first_request``: the first request after start (a cold start on both);
- the overhead of each over calling the handler in process.

Loopback only. Writes build/bench/local_gateway.json (medians over rounds, and the ratios).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
import requests

from tests.bench._results import percentile, write
from tests.local.conftest import ROOT, RunningCloud, free_ports, start_cloud, stop_cloud, zip_of

PEERS = ROOT / "tests" / "bench" / ".peers" / "serverless-offline"
PEER_PACKAGES = ("serverless@3", "serverless-offline@13")
HANDLER = """
import json


def handler(event, context):
    body = json.dumps({"ok": True, "path": event["path"]})
    return {"statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": body}
"""
SERVERLESS_YML = """
service: bench
frameworkVersion: "3"
provider:
  name: aws
  runtime: python3.13
  region: us-east-1
  stage: dev
plugins:
  - serverless-offline
functions:
  hello:
    handler: handler.handler
    events:
      - http:
          path: hello
          method: get
"""


# --- the peer --------------------------------------------------------------------------------------


def install_peer() -> Path:
    """serverless and serverless-offline under tests/bench/.peers (npm, once)."""
    binary = PEERS / "node_modules" / "serverless" / "bin" / "serverless.js"
    if binary.exists() and (PEERS / "node_modules" / "serverless-offline").is_dir():
        return binary
    if shutil.which("npm") is None:
        raise SystemExit("error: npm is needed to install serverless-offline for this benchmark")
    PEERS.mkdir(parents=True, exist_ok=True)
    if not (PEERS / "package.json").exists():
        (PEERS / "package.json").write_text('{"name": "bench-peers", "private": true}\n')
    subprocess.run(
        ["npm", "install", "--no-audit", "--no-fund", "--loglevel=error", *PEER_PACKAGES],
        cwd=PEERS,
        check=True,
    )
    return binary


def _python_first_path() -> str:
    """PATH with a python3.13 first: serverless-offline runs ``python3`` for python3.13 handlers."""
    from local.runtime import find_interpreter

    python, _, _ = find_interpreter("3.13")
    return os.pathsep.join([str(python.parent), os.environ.get("PATH", "")])


class ServerlessOffline:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port, self.lambda_port = free_ports(2)
        self.process: subprocess.Popen[bytes] | None = None
        self.log = folder / "serverless-offline.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/dev/hello"

    def start(self) -> None:
        binary = install_peer()
        (self.folder / "serverless.yml").write_text(SERVERLESS_YML)
        (self.folder / "handler.py").write_text(HANDLER)
        (self.folder / "node_modules").symlink_to(PEERS / "node_modules")
        env = {
            **os.environ,
            "PATH": _python_first_path(),
            "SLS_TELEMETRY_DISABLED": "1",
            "SLS_NOTIFICATIONS_MODE": "off",
            "AWS_ACCESS_KEY_ID": "test",
            "AWS_SECRET_ACCESS_KEY": "test",
        }
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                ["node", str(binary), "offline", "start", "--httpPort", str(self.port),
                 "--lambdaPort", str(self.lambda_port), "--host", "127.0.0.1"],
                cwd=self.folder, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"serverless-offline exited:\n{self.log.read_text()[-3000:]}")
            if "Server ready" in self.log.read_text(errors="replace"):
                return
            time.sleep(0.1)
        raise RuntimeError(f"serverless-offline did not start:\n{self.log.read_text()[-3000:]}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


# --- ours ------------------------------------------------------------------------------------------


def deploy_ours(cloud: RunningCloud) -> str:
    """The handler as a function behind a REST API (AWS_PROXY), as Terraform would make it."""
    role = cloud.client("iam").create_role(RoleName="bench", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    function = cloud.client("lambda").create_function(
        FunctionName="hello",
        Runtime="python3.13",
        Role=role,
        Handler="handler.handler",
        Code={"ZipFile": zip_of({"handler.py": HANDLER})},
        MemorySize=1024,
    )
    api = cloud.client("apigateway")
    rest_api = api.create_rest_api(name="bench")["id"]
    root = next(r["id"] for r in api.get_resources(restApiId=rest_api)["items"] if r["path"] == "/")
    resource = api.create_resource(restApiId=rest_api, parentId=root, pathPart="hello")["id"]
    api.put_method(restApiId=rest_api, resourceId=resource, httpMethod="GET", authorizationType="NONE")
    api.put_integration(
        restApiId=rest_api,
        resourceId=resource,
        httpMethod="GET",
        type="AWS_PROXY",
        integrationHttpMethod="POST",
        uri=f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{function['FunctionArn']}/invocations",
    )
    api.create_deployment(restApiId=rest_api, stageName="dev")
    gateway = cloud.endpoints["apigateway_url"]
    requests.post(f"{gateway}/_local/apigateway/reload", timeout=60).raise_for_status()
    return f"{gateway}/dev/hello"


# --- measuring -------------------------------------------------------------------------------------


async def _get(session: aiohttp.ClientSession, url: str) -> float:
    started = time.perf_counter()
    async with session.get(url) as response:
        body = await response.read()
        if response.status != 200 or b'"ok": true' not in body:
            raise RuntimeError(f"{url} answered {response.status}: {body[:200]!r}")
    return (time.perf_counter() - started) * 1000


async def _first_request(url: str) -> float:
    async with aiohttp.ClientSession() as session:
        return await _get(session, url)


async def _run(url: str, clients: int, total: int, seconds: float) -> dict[str, float]:
    samples: list[float] = []
    deadline = time.monotonic() + seconds
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=clients)) as session:
        await asyncio.gather(*(_get(session, url) for _ in range(clients * 10)))  # warm

        async def client() -> None:
            while len(samples) < total and time.monotonic() < deadline:
                samples.append(await _get(session, url))

        started = time.perf_counter()
        await asyncio.gather(*(client() for _ in range(clients)))
        elapsed = time.perf_counter() - started
    return {
        "n": len(samples),
        "requests_per_s": len(samples) / elapsed,
        "p50_ms": percentile(samples, 0.5),
        "p99_ms": percentile(samples, 0.99),
    }


def _median(runs: list[dict[str, float]]) -> dict[str, float]:
    return {key: round(statistics.median(run[key] for run in runs), 3) for key in runs[0]}


def _in_process_ms() -> float:
    namespace: dict[str, Any] = {}
    exec(compile(HANDLER, "handler.py", "exec"), namespace)
    event = {"path": "/hello", "httpMethod": "GET", "headers": {}}
    started = time.perf_counter()
    for _ in range(20_000):
        namespace["handler"](event, None)
    return (time.perf_counter() - started) / 20_000 * 1000


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.bench local_gateway")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--requests", type=int, default=4000)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="bench-gateway-") as folder:
        peer = ServerlessOffline(Path(folder))
        cloud = start_cloud(Path(folder) / "cloud", "--no-terraform", "--console-logs", "none")
        try:
            ours_url = deploy_ours(cloud)
            peer.start()
            first = {"ours": asyncio.run(_first_request(ours_url)), "serverless_offline": asyncio.run(
                _first_request(peer.url))}  # fmt: skip
            runs: dict[str, dict[str, list[dict[str, float]]]] = {
                name: {"sequential": [], "concurrent": []} for name in ("ours", "serverless_offline")
            }
            targets = [("ours", ours_url), ("serverless_offline", peer.url)]
            for round_number in range(args.rounds):
                for name, url in targets if round_number % 2 == 0 else targets[::-1]:
                    runs[name]["sequential"].append(
                        asyncio.run(_run(url, 1, args.requests // 4, args.seconds / 2))
                    )
                    runs[name]["concurrent"].append(
                        asyncio.run(_run(url, args.clients, args.requests, args.seconds))
                    )
        finally:
            peer.stop()
            stop_cloud(cloud)
    in_process = _in_process_ms()
    result: dict[str, Any] = {
        "clients": args.clients,
        "rounds": args.rounds,
        "in_process_ms": round(in_process, 4),
    }
    for name in ("ours", "serverless_offline"):
        sequential, concurrent = _median(runs[name]["sequential"]), _median(runs[name]["concurrent"])
        result[name] = {
            "first_request_ms": round(first[name], 1),
            "sequential": sequential,
            "concurrent": concurrent,
            "overhead_over_in_process_p50_ms": round(sequential["p50_ms"] - in_process, 3),
        }
    ours, peer_result = result["ours"]["concurrent"], result["serverless_offline"]["concurrent"]
    result["ratios_ours_over_serverless_offline"] = {
        "concurrent_p50": round(ours["p50_ms"] / peer_result["p50_ms"], 3),
        "concurrent_p99": round(ours["p99_ms"] / peer_result["p99_ms"], 3),
        "concurrent_requests_per_s": round(ours["requests_per_s"] / peer_result["requests_per_s"], 3),
        "sequential_p50": round(
            result["ours"]["sequential"]["p50_ms"] / result["serverless_offline"]["sequential"]["p50_ms"], 3
        ),
    }
    path = write("local_gateway", result)
    print(json.dumps(result, indent=2))
    print(f"written to {path}", file=sys.stderr)
    return 0

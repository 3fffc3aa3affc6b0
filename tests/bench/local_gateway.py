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
- the overhead of each over calling the handler in process;
- ``server_cpu_us_per_request`` (concurrent): CPU time of each side's whole process tree (our up
  process, control plane and environments; serverless-offline's node and python processes).

Then, ours only: ``GET /v1/instance`` of the real postcards function (the zip and layer build.sh
makes for this machine, deployed through the edge), cold start beside its REPORT's Init Duration,
then sequential and concurrent runs like the above.

Loopback only. Writes build/bench/local_gateway.json (medians over rounds, and the ratios).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
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

from tests.bench import _coldstart_scenarios as scenarios
from tests.bench import _results, coldstart
from tests.bench._load import bounded_clients
from tests.bench._processes import tree_cpu_seconds
from tests.bench._results import percentile, write
from tests.local.cloud_support import ROOT, RunningCloud, free_ports, start_cloud, stop_cloud, zip_of
from tests.unit.stack import Stack

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
    from local.services.lambda_.runtime import find_interpreter

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
    function = cloud.client("lambda").create_function(
        FunctionName="hello",
        Runtime="python3.13",
        Role=_role(cloud),
        Handler="handler.handler",
        Code={"ZipFile": zip_of({"handler.py": HANDLER})},
        MemorySize=1024,
    )
    return _proxy_api(cloud, "bench", ["hello"], function["FunctionArn"])


def deploy_postcards(cloud: RunningCloud) -> str:
    """The postcards function as build.sh packs it (zip + layer), its environment as Terraform sets it,
    behind ``GET /v1/instance``."""
    arch = coldstart._host_arch()
    coldstart._build(arch)
    artifacts = _results.REPO / "build" / arch
    lambda_client = cloud.client("lambda")
    layer = lambda_client.publish_layer_version(
        LayerName="postcards-deps",
        Content={"ZipFile": (artifacts / "layer.zip").read_bytes()},
        CompatibleRuntimes=["python3.13"],
        CompatibleArchitectures=[arch],
    )
    function = lambda_client.create_function(
        FunctionName="postcards",
        Runtime="python3.13",
        Role=_role(cloud),
        Handler="postcards.handler.lambda_handler",
        Code={"ZipFile": (artifacts / "postcards.zip").read_bytes()},
        Layers=[layer["LayerVersionArn"]],
        Architectures=[arch],
        MemorySize=scenarios.MEMORY_MB["postcards"],
        Environment={"Variables": scenarios.environment("postcards", Stack())},
    )
    return _proxy_api(cloud, "postcards-bench", ["v1", "instance"], function["FunctionArn"], "live")


def _role(cloud: RunningCloud) -> str:
    iam = cloud.client("iam")
    try:
        return str(iam.get_role(RoleName="bench")["Role"]["Arn"])
    except iam.exceptions.NoSuchEntityException:
        arn = str(iam.create_role(RoleName="bench", AssumeRolePolicyDocument="{}")["Role"]["Arn"])
        # The local cloud evaluates the functions' AWS calls against their role: the bench's may do anything.
        anything = {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
        }
        iam.put_role_policy(
            RoleName="bench", PolicyName="bench-may-call-anything", PolicyDocument=json.dumps(anything)
        )
        return arn


def _proxy_api(cloud: RunningCloud, name: str, path: list[str], function_arn: str, stage: str = "dev") -> str:
    """A REST API with ``GET /<path>`` proxied to the function, deployed to ``stage``; its URL (by
    path on the gateway's own host, so each API needs a stage name of its own)."""
    api = cloud.client("apigateway")
    rest_api = api.create_rest_api(name=name)["id"]
    parent = next(r["id"] for r in api.get_resources(restApiId=rest_api)["items"] if r["path"] == "/")
    for part in path:
        parent = api.create_resource(restApiId=rest_api, parentId=parent, pathPart=part)["id"]
    api.put_method(restApiId=rest_api, resourceId=parent, httpMethod="GET", authorizationType="NONE")
    api.put_integration(
        restApiId=rest_api,
        resourceId=parent,
        httpMethod="GET",
        type="AWS_PROXY",
        integrationHttpMethod="POST",
        uri=f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{function_arn}/invocations",
    )
    api.create_deployment(restApiId=rest_api, stageName=stage)
    gateway = cloud.endpoints["apigateway_url"]
    requests.post(f"{gateway}/_local/apigateway/reload", timeout=60).raise_for_status()
    return f"{gateway}/{stage}/{'/'.join(path)}"


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
    url: str, clients: int, total: int, seconds: float, server_pid: int | None = None
) -> dict[str, float]:
    """``clients`` keep-alive clients until ``total`` requests or ``seconds``; with ``server_pid``,
    also the CPU time its process tree spent per request."""
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=clients)) as session:
        await asyncio.gather(*(_get(session, url) for _ in range(clients * 10)))  # warm
        cpu = tree_cpu_seconds(server_pid) if server_pid else 0.0
        samples, elapsed = await bounded_clients(lambda: _get(session, url), clients, total, seconds)
        cpu = tree_cpu_seconds(server_pid) - cpu if server_pid else 0.0
    measured = {"server_cpu_us_per_request": cpu / len(samples) * 1e6} if server_pid else {}
    return measured | {
        "n": len(samples),
        "requests_per_s": len(samples) / elapsed,
        "p50_ms": percentile(samples, 0.5),
        "p99_ms": percentile(samples, 0.99),
    }


def _medians(runs: list[dict[str, dict[str, float]]]) -> tuple[dict[str, float], dict[str, float]]:
    """(sequential, concurrent): each figure's median over the rounds."""

    def median(kind: str) -> dict[str, float]:
        return {key: round(statistics.median(run[kind][key] for run in runs), 3) for key in runs[0][kind]}

    return median("sequential"), median("concurrent")


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

    def measure(url: str, pid: int) -> dict[str, dict[str, float]]:
        return {
            "sequential": asyncio.run(_run(url, 1, args.requests // 4, args.seconds / 2)),
            "concurrent": asyncio.run(_run(url, args.clients, args.requests, args.seconds, pid)),
        }

    with tempfile.TemporaryDirectory(prefix="bench-gateway-") as folder:
        peer = ServerlessOffline(Path(folder))
        cloud = start_cloud(Path(folder) / "cloud", "--no-terraform", "--console-logs", "none")
        try:
            ours_url, postcards_url = deploy_ours(cloud), deploy_postcards(cloud)
            peer.start()
            assert peer.process is not None
            first = {"ours": asyncio.run(_first_request(ours_url)), "serverless_offline": asyncio.run(
                _first_request(peer.url))}  # fmt: skip
            runs: dict[str, list[dict[str, dict[str, float]]]] = {"ours": [], "serverless_offline": []}
            targets = [
                ("ours", ours_url, cloud.process.pid),
                ("serverless_offline", peer.url, peer.process.pid),
            ]
            for round_number in range(args.rounds):
                for name, url, pid in targets if round_number % 2 == 0 else targets[::-1]:
                    runs[name].append(measure(url, pid))
            peer.stop()  # the real function alone on the machine from here on
            postcards_first = asyncio.run(_first_request(postcards_url))
            postcards_init = _init_duration_ms(cloud, "postcards")
            postcards_runs = [measure(postcards_url, cloud.process.pid) for _ in range(args.rounds)]
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
        sequential, concurrent = _medians(runs[name])
        result[name] = {
            "first_request_ms": round(first[name], 1),
            "sequential": sequential,
            "concurrent": concurrent,
            "overhead_over_in_process_p50_ms": round(sequential["p50_ms"] - in_process, 3),
        }
    ours, peer_result = result["ours"], result["serverless_offline"]
    result["ratios_ours_over_serverless_offline"] = {
        key: round(ours[kind][metric] / peer_result[kind][metric], 3)
        for key, kind, metric in (
            ("sequential_p50", "sequential", "p50_ms"),
            ("sequential_p99", "sequential", "p99_ms"),
            ("concurrent_p50", "concurrent", "p50_ms"),
            ("concurrent_p99", "concurrent", "p99_ms"),
            ("concurrent_requests_per_s", "concurrent", "requests_per_s"),
            ("server_cpu_per_request", "concurrent", "server_cpu_us_per_request"),
        )
    }
    sequential, concurrent = _medians(postcards_runs)
    result["postcards_instance"] = {
        "first_request_ms": round(postcards_first, 1),
        "init_duration_ms": round(postcards_init, 1),
        "sequential": sequential,
        "concurrent": concurrent,
    }
    path = write("local_gateway", result)
    print(json.dumps(result, indent=2))
    print(f"written to {path}", file=sys.stderr)
    return 0

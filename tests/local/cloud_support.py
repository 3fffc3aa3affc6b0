"""Driving ``python -m local up`` from tests and benchmarks: start a cloud on free ports with a state
folder of its own (a ``make up`` on the default ports may run beside it), wait for its
endpoints.json, stop it (SIGTERM); boto3 clients for its AWS endpoint; tiny function zips (``PROBE``
reports its execution environment) and ``invoke`` through the edge.

The session's clouds are fixtures in conftest.py; this module is what other suites import too.
"""

from __future__ import annotations

import io
import json
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config as BotoConfig

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT_S = 900  # a first apply on a busy 2-core machine; re-runs are much faster
STOP_TIMEOUT_S = 60


# Ports handed out by free_ports in this process (the session's clouds start from two threads).
_HANDED_OUT: set[int] = set()
_HANDING_OUT = threading.Lock()
_LOWEST_PORT = 10_000


def _ephemeral_range() -> tuple[int, int]:
    """The kernel's range for ports it picks itself (connect() and bind(port 0))."""
    try:
        low, high = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()
        return int(low), int(high)
    except (OSError, ValueError):
        return 32768, 60999  # Linux's default


def free_ports(count: int) -> list[int]:
    """``count`` distinct ports free on 127.0.0.1 now, below the ephemeral range: a port the kernel
    hands out itself could be taken by any process's outgoing connection between this check and the
    listener that uses it (a test once saw its edge port taken so); below the range only a program
    that asks for that very port can take it."""
    low, _ = _ephemeral_range()
    rng = random.Random()
    ports: list[int] = []
    with _HANDING_OUT:
        while len(ports) < count:
            port = rng.randrange(_LOWEST_PORT, max(low, _LOWEST_PORT + 1000))
            if port in _HANDED_OUT or not _bindable(port):
                continue
            _HANDED_OUT.add(port)
            ports.append(port)
    return ports


def _bindable(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


@dataclass
class RunningCloud:
    process: subprocess.Popen[bytes]
    state_dir: Path
    log_path: Path
    endpoints: dict[str, Any] = field(default_factory=dict)
    # boto3's default session is not thread-safe, and tests call client() from threads: every client
    # comes from this one session, made with the cloud, one at a time (clients are thread-safe).
    _session: boto3.session.Session = field(default_factory=boto3.session.Session, repr=False)
    _client_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def aws_endpoint_url(self) -> str:
        return str(self.endpoints["aws_endpoint_url"])

    @property
    def ca_bundle(self) -> str:
        """The local CA the cloud's HTTPS URLs are verified with (never without: no test turns
        verification off)."""
        return str(self.endpoints["ca_bundle"])

    def client(self, service: str, **config: Any) -> Any:
        """A boto3 client for the cloud's AWS endpoint (HTTPS, verified with the local CA); no
        retries (botocore's ``max_attempts`` counts retries; ``total_max_attempts`` counts the
        first call too), so throttles are seen as they are."""
        with self._client_lock:
            return self._session.client(
                service,
                endpoint_url=self.aws_endpoint_url,
                verify=self.ca_bundle,
                region_name="us-east-1",
                aws_access_key_id="test",
                aws_secret_access_key="test",
                config=BotoConfig(
                    retries={"total_max_attempts": 1, "mode": "standard"}, read_timeout=120, **config
                ),
            )

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_for_log(self, needle: str, timeout_s: float = 60) -> str:
        """Wait until the cloud's console output contains ``needle``; return the output."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            text = self.log()
            if needle in text:
                return text
            time.sleep(0.1)
        raise AssertionError(f"{needle!r} not in the local cloud's output within {timeout_s} s")


def start_cloud(directory: Path, *extra: str, env: dict[str, str] | None = None) -> RunningCloud:
    """``python -m local up`` in ``directory`` on free ports (``extra`` flags may name others, and a
    ``--state-dir``); returns once its endpoints.json names it."""
    edge, controlplane, container, gateway, site, https = free_ports(6)
    state = directory / "state"
    if "--state-dir" in extra:
        state = Path(extra[extra.index("--state-dir") + 1])
    log_path = directory / "up.log"
    directory.mkdir(parents=True, exist_ok=True)
    defaults = {
        "--state-dir": str(state),
        "--edge-port": str(edge),
        "--controlplane-port": str(controlplane),
        "--container-api-port": str(container),
        "--apigateway-port": str(gateway),
        "--site-port": str(site),
        "--xray-daemon-port": "0",  # UDP: the system picks a free one, and functions are told it
        "--https-port": str(https),
        "--console-port": "0",  # the system picks a free one; endpoints.json names it
    }
    given = {flag.split("=", 1)[0] for flag in extra}
    argv = [sys.executable, "-m", "local", "up"]
    argv += [part for flag, value in defaults.items() if flag not in given for part in (flag, value)]
    argv += list(extra)
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            argv,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})},
            start_new_session=True,
        )
    cloud = RunningCloud(process, state, log_path)
    endpoints_file = state / "endpoints.json"
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"python -m local up exited with {process.returncode}:\n{cloud.log()[-6000:]}")
        if endpoints_file.exists():
            try:
                cloud.endpoints = json.loads(endpoints_file.read_text())
            except ValueError:  # being written
                cloud.endpoints = {}
            if cloud.endpoints.get("pid") == process.pid:
                return cloud
        time.sleep(0.2)
    stop_cloud(cloud)
    raise RuntimeError(f"the local cloud did not come up within {START_TIMEOUT_S} s:\n{cloud.log()[-6000:]}")


def stop_cloud(cloud: RunningCloud) -> int:
    if cloud.process.poll() is None:
        cloud.process.send_signal(signal.SIGTERM)
        try:
            cloud.process.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            os.killpg(cloud.process.pid, signal.SIGKILL)
            cloud.process.wait()
    return cloud.process.returncode


def zip_of(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()


# A handler that tells the test about its execution environment and does what the event asks.
PROBE = """
import json, os, sys, time

COLD = True
LOADED_AT = time.time()
print("probe loaded")


def handler(event, context):
    global COLD
    cold, COLD = COLD, False
    print("event", json.dumps(event))
    if event.get("sleep"):
        time.sleep(event["sleep"])
    if event.get("raise"):
        raise ValueError(event["raise"])
    if event.get("exit") is not None:
        sys.stdout.flush()
        os._exit(event["exit"])
    if event.get("allocate_mb"):
        ballast = bytearray(event["allocate_mb"] * 1024 * 1024)
        for i in range(0, len(ballast), 4096):
            ballast[i] = 1
    return {
        "cold": cold,
        "pid": os.getpid(),
        "stream": os.environ["AWS_LAMBDA_LOG_STREAM_NAME"],
        "request_id": context.aws_request_id,
        "invoked_arn": context.invoked_function_arn,
        "remaining_ms": context.get_remaining_time_in_millis(),
        "env": {k: v for k, v in os.environ.items() if k.startswith(("AWS_", "LAMBDA_", "_HANDLER", "_X"))},
        "path": sys.path,
        "event": event,
    }
"""


def invoke(running: RunningCloud, name: str, event: Any = None, **options: Any) -> tuple[dict[str, Any], Any]:
    """Invoke through the edge; (raw boto3 answer without Payload, decoded payload)."""
    answer = running.client("lambda").invoke(
        FunctionName=name, Payload=json.dumps(event if event is not None else {}).encode(), **options
    )
    payload = answer.pop("Payload").read()
    return answer, json.loads(payload) if payload else None

"""serverless-offline, the peer the local-cloud benchmarks compare with (npm, installed on first use).

``serverless@3`` + ``serverless-offline@13`` go into tests/bench/.peers/ (git-ignored); they run
Python handlers without Docker, from their own serverless.yml, with a Python process per concurrent
request. ``ServerlessOffline(folder, handler)`` serves ``handler`` (a module's source with a
``handler`` function) at ``GET /dev/hello``.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

from tests.local.cloud_support import ROOT, free_ports

PEERS = ROOT / "tests" / "bench" / ".peers" / "serverless-offline"
PEER_PACKAGES = ("serverless@3", "serverless-offline@13")
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
    def __init__(self, folder: Path, handler: str) -> None:
        self.folder = folder
        self.handler = handler
        self.port, self.lambda_port = free_ports(2)
        self.process: subprocess.Popen[bytes] | None = None
        self.log = folder / "serverless-offline.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/dev/hello"

    def start(self) -> None:
        binary = install_peer()
        (self.folder / "serverless.yml").write_text(SERVERLESS_YML)
        (self.folder / "handler.py").write_text(self.handler)
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

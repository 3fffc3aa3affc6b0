"""The control plane alone (``python -m local.controlplane``: moto with every local patch), on a free
port, and boto3 clients for it: for tests of what the control plane accepts and refuses."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3

from tests.local.cloud_support import free_ports

ROOT = Path(__file__).resolve().parents[2]
REGION = "us-east-1"
START_TIMEOUT_S = 90  # moto imports slowly on a loaded machine


@dataclass(frozen=True)
class ControlPlane:
    url: str

    def client(self, service: str) -> Any:
        return boto3.client(
            service,
            endpoint_url=self.url,
            region_name=REGION,
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )


@contextlib.contextmanager
def running_controlplane(*extra: str) -> Iterator[ControlPlane]:
    """A control plane started with ``extra`` arguments, stopped at the end. Its edge URL points at
    a port nothing listens on: these tests run no functions."""
    port, edge_port = free_ports(2)
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "MOTO_ALLOW_NONEXISTENT_REGION": "true"}
    argv = [sys.executable, "-m", "local.controlplane", "--host", "127.0.0.1", "--port", str(port)]
    argv += ["--edge-url", f"http://127.0.0.1:{edge_port}", *extra]
    process = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"control plane exited: {process.stderr.read().decode()[-2000:]}")  # type: ignore[union-attr]
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
                break
            if time.monotonic() > deadline:
                raise TimeoutError(f"control plane did not listen within {START_TIMEOUT_S} s")
            time.sleep(0.1)
        yield ControlPlane(f"http://127.0.0.1:{port}")
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

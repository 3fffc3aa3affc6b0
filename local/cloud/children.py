"""The parts of the local cloud that run as processes of their own: the control plane (moto, whose
request handling would otherwise compete with the edge's and the executor's for this process's loop)
and the stand-in of the container API. Each logs to ``<state>/logs/<part>.log``."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import time
from pathlib import Path

import aiohttp

from local.cloud import processes
from local.cloud.errors import UpError
from local.config import Config
from local.tls.authority import LeafFiles


async def spawn_controlplane(config: Config, logs_dir: Path, snapshot: Path) -> asyncio.subprocess.Process:
    """moto, behind the edge; it loads ``snapshot`` when it exists and saves there when asked."""
    env = {
        **os.environ,
        "MOTO_ACM_VALIDATION_WAIT": "0",  # certificates are ISSUED at once
        "MOTO_ALLOW_NONEXISTENT_REGION": "true",
        "PYTHONUNBUFFERED": "1",
    }
    argv = [
        sys.executable,
        "-m",
        "local.controlplane",
        "--host",
        config.host,
        "--port",
        str(config.ports.controlplane),
        "--edge-url",
        config.edge_url,
        # The same quota the executor throttles at: Lambda's reservations are checked against it.
        "--account-concurrency",
        str(config.executor.account_concurrency),
    ]
    if config.persist:
        argv += ["--snapshot", str(snapshot)]
    with (logs_dir / "controlplane.log").open("ab") as log_file:
        return await processes.spawn(argv, env=env, cwd=config.root, output=log_file)


async def spawn_container_api(
    config: Config, logs_dir: Path, leaf: LeafFiles, *, delay_ms: float = 0.0
) -> asyncio.subprocess.Process:
    """The stand-in over HTTPS with ``leaf`` (the site calls it from an https page); every answer
    ``delay_ms`` late when a fault asks for it."""
    argv = [
        sys.executable,
        "-m",
        "local.standins.container_api",
        "--host",
        config.host,
        "--port",
        str(config.ports.container_api),
        "--tls-cert",
        str(leaf.certificate),
        "--tls-key",
        str(leaf.key),
    ]
    if delay_ms:
        argv += ["--delay-ms", str(delay_ms)]
    with (logs_dir / "container_api.log").open("ab") as log_file:
        return await processes.spawn(argv, cwd=config.root, output=log_file)


async def wait_until_answering(
    session: aiohttp.ClientSession,
    url: str,
    process: asyncio.subprocess.Process,
    *,
    what: str,
    logs_dir: Path,
    any_status: bool = False,
    timeout_s: float = 60,
    try_timeout_s: float = 2,
) -> None:
    """Until ``url`` answers 200 (any status with ``any_status``); fails early if ``process`` exits."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.returncode is not None:
            raise UpError(f"the {what} exited with status {process.returncode}; see {logs_dir}")
        with contextlib.suppress(aiohttp.ClientError, OSError):
            async with session.get(url, timeout=aiohttp.ClientTimeout(total=try_timeout_s)) as response:
                if response.status == 200 or any_status:
                    return
        await asyncio.sleep(0.05)
    raise UpError(f"the {what} did not answer {url} within {timeout_s:.0f} s; see {logs_dir}")

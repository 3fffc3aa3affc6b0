"""``python -m local up``: the whole local cloud (``local.cloud.run.LocalCloud``) until Ctrl-C.

First the lock (one cloud per state folder: ``local.cloud.lock``) and the ports (``local.cloud.ports``),
so that a cloud that cannot run says why before it starts anything; then the cloud starts, prints its
URLs (``local.cloud.urls``) and serves. Ctrl-C or SIGTERM (``local.cloud.signals``) stops everything in
reverse order; child processes have their own process groups and die with this one even if it is
killed outright (``local.cloud.processes``).

Exit status: 0 after a stop asked for once the cloud served, 130 when interrupted while starting, 1
when a step failed (the error says which).
"""

from __future__ import annotations

import asyncio
import gc
import logging
import sys

import uvloop

from local.cloud import profiling, variables
from local.cloud.errors import UpError
from local.cloud.lock import Lock
from local.cloud.ports import check_ports_free
from local.cloud.progress import Progress
from local.cloud.run import LocalCloud
from local.cloud.signals import StopSignals
from local.cloud.urls import print_urls
from local.config import Config


async def _serve(config: Config) -> int:
    progress = Progress(total=3)
    cloud = LocalCloud(config, progress)
    signals = StopSignals()
    try:
        endpoints = await cloud.start()
        # What starting built (SDK models, routes, environments) lives as long as the process: out of
        # the collector's sight, so its full collections only walk what requests leave behind.
        gc.freeze()
        signals.started()
        print_urls(endpoints)
        await signals.received.wait()
        progress.say("\n==> stopping")
        return 0
    except asyncio.CancelledError:
        progress.say("\n==> interrupted, stopping")
        return 130
    except UpError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    finally:
        await cloud.stop()
        progress.say("==> stopped")


def up(config: Config) -> int:
    logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s", stream=sys.stdout)
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    lock = Lock(config.state_dir)
    try:
        lock.acquire()
        check_ports_free(config)
        if config.apply_terraform:
            kept = variables.settle(config.variables, config.terraform_dir, config.root / "terraform")
            if kept.describe():
                print(f"==> terraform variables: {kept.describe()} (--clear-vars forgets them)")
    except UpError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    try:
        # On uvloop: every invocation crosses this process's loop three times (API request, Runtime
        # API next and response), and libuv's loop costs ~20 % less CPU per request than asyncio's
        # own (bench local_gateway).
        return profiling.run(lambda: uvloop.run(_serve(config)))
    finally:
        lock.release()

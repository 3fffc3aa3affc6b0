"""One measurement of the steady state: a bounded load through the API (tests/local/api/load.py,
its clients retrying 429/503/5xx with backoff, full jitter and the same Idempotency-Key), the write
check against the table, and the site's page; as the figures a hypothesis is checked against.
"""

from __future__ import annotations

import asyncio
import math
import ssl
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import aiohttp

from tests.local.api import load
from tests.local.api.conftest import Api

# A final answer (after the client's retries) that the user sees as a failure: a 5xx, a throttle,
# a write still "in progress" when the client gave up, or no answer.
CLIENT_ERRORS_FROM = 500
GAVE_UP = frozenset({0, 409, 429})


@dataclass(frozen=True)
class LoadShape:
    """How much load one measurement is: bounded in count and in time."""

    clients: int
    operations: int
    seconds: float

    def scaled(self, factor: float) -> LoadShape:
        return LoadShape(self.clients, int(self.operations * factor), self.seconds * factor)

    def testing(self, max_error_rate: float) -> LoadShape:
        """This shape with enough operations to test a bound on the error rate: over the usual 24,
        one stray failure is 4 % and refutes a 2 % bound, though a client that retries 8 times
        through a 50 % fault still gives up once in 256 operations. With ``2 / max_error_rate``
        operations two failures stay within the bound and three do not (100 for 2 %)."""
        needed = math.ceil(2 / max_error_rate) if max_error_rate > 0 else 0
        return LoadShape(self.clients, max(self.operations, needed), self.seconds)


def measure(api: Api, shape: LoadShape, *, seed: int = 13) -> dict[str, Any]:
    """Run ``shape`` against the API and the site; the figures (see ``hypothesis``).

    In a thread of its own: the load runs its own event loop, and a test driving Chromium through
    Playwright's sync API already has one running in this thread."""
    with ThreadPoolExecutor(max_workers=1) as worker:
        return worker.submit(_measure, api, shape, seed).result()


def _measure(api: Api, shape: LoadShape, seed: int) -> dict[str, Any]:
    run, check = load.run_and_verify(
        api.url,
        api.scan_pages("postcards"),
        clients=shape.clients,
        operations=shape.operations,
        seconds=shape.seconds,
        seed=seed,
    )
    figures = load.report(run, check, clients=shape.clients, reserved_concurrency=None)
    figures.pop("reserved_concurrency")
    figures["error_rate"] = error_rate(run)
    figures["site"] = asyncio.run(_site(api))
    return figures


def error_rate(run: load.LoadRun) -> float:
    """The share of operations whose final answer was a 5xx, a 409/429 or no answer at all."""
    total = errors = 0
    for outcome, count in run.outcomes.items():
        _, _, status = outcome.rpartition(" ")
        if not status.isdigit():  # "read_own mismatch" counts apart
            continue
        total += count
        if int(status) in GAVE_UP or int(status) >= CLIENT_ERRORS_FROM:
            errors += count
    return round(errors / total, 4) if total else 1.0


async def _site(api: Api) -> dict[str, Any]:
    """The site's page and its config.json, as a browser first asks for them."""
    site_url = str(api.cloud.endpoints["site_url"]).rstrip("/")
    context = ssl.create_default_context(cafile=api.cloud.ca_bundle)
    figures: dict[str, Any] = {}
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=context)) as session:
        for name, path in (("page_status", "/"), ("config_status", "/config.json")):
            try:
                async with session.get(site_url + path, timeout=aiohttp.ClientTimeout(total=10)) as answer:
                    await answer.read()
                    figures[name] = answer.status
            except (TimeoutError, aiohttp.ClientError) as error:
                figures[name] = 0
                figures[f"{name}_error"] = repr(error)
    return figures

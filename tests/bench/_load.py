"""Concurrent load from keep-alive clients, bounded in count and in time."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable


async def bounded_clients(
    request: Callable[[], Awaitable[float]], clients: int, total: int, seconds: float
) -> tuple[list[float], float]:
    """``clients`` loops of ``request`` (each returns its latency, ms) until ``total`` samples or
    ``seconds`` have passed; (the samples, the elapsed seconds)."""
    samples: list[float] = []
    deadline = time.monotonic() + seconds

    async def client() -> None:
        while len(samples) < total and time.monotonic() < deadline:
            samples.append(await request())

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    return samples, time.perf_counter() - started

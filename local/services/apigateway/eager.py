"""Starting a coroutine as an eager task: the one way the gateway starts its per-request tasks."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")

_EAGER = sys.version_info >= (3, 12)


def start_eagerly(loop: asyncio.AbstractEventLoop, coroutine: Coroutine[Any, Any, T]) -> asyncio.Task[T]:
    """Run ``coroutine`` at once, up to its first real wait (Python 3.12+), as a task: work that
    needs no wait (a 403, an instant answer) finishes without a loop turn, and what waits goes on as a
    task of its own (an Invoke that outlives its integration timeout, say)."""
    if _EAGER:
        return asyncio.Task(coroutine, loop=loop, eager_start=True)  # type: ignore[call-arg,unused-ignore]
    return loop.create_task(coroutine)

"""The executor's tasks that outlive the call that started them: asynchronous events, environments
being stopped, housekeeping loops. They end together when the local cloud stops."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any


class BackgroundTasks:
    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()
        self.closed = False

    def spawn(self, coroutine: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.create_task(coroutine)
        self._tasks.add(task)  # a reference, or the loop may drop the task mid-way
        task.add_done_callback(self._tasks.discard)

    async def close(self) -> None:
        """Cancel every task and wait for them to end."""
        self.closed = True
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

"""The one background loop of a service: started once, stopped by cancelling and awaiting it."""

from __future__ import annotations

import asyncio

import pytest

from local.background import BackgroundTask


def test_stop_cancels_the_loop_and_waits_for_it() -> None:
    async def scenario() -> list[str]:
        seen: list[str] = []

        async def loop() -> None:
            try:
                while True:
                    seen.append("tick")
                    await asyncio.sleep(0.01)
            finally:
                seen.append("cleaned up")

        task = BackgroundTask(loop, "test-loop")
        task.start()
        while not seen:  # the loop has run once
            await asyncio.sleep(0)
        assert task.running
        with pytest.raises(RuntimeError, match="already running"):
            task.start()
        await task.stop()
        assert not task.running
        await task.stop()  # a second stop is harmless
        return seen

    seen = asyncio.run(scenario())
    assert seen[0] == "tick"
    assert seen[-1] == "cleaned up"


def test_stop_before_start_does_nothing() -> None:
    asyncio.run(BackgroundTask(asyncio.sleep, "never").stop())  # type: ignore[arg-type]

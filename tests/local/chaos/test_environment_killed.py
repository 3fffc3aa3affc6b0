"""Execution environments of the API function killed mid-request (``kill-environment``): at the
worst moment, when the function has made its writes and posts its answer. The client gets an error
(API Gateway's 502) or, retrying with its Idempotency-Key, a success; no write is stored twice;
and new environments serve the next requests."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import aiohttp
import pytest

from tests.local.api import load
from tests.local.api.conftest import Api
from tests.local.api.retrying_client import Attempts, RetryingClient
from tests.local.chaos.experiment import Experiment
from tests.local.chaos.faults import LocalFaults
from tests.local.chaos.hypothesis import Expectation, steady_state
from tests.local.chaos.measure import LoadShape

pytestmark = pytest.mark.slow

KILLS = 3
# Keyed writes whose environment is killed this far into the request: before, during or after its
# DynamoDB writes, whichever the machine's pace makes it.
KILLED_AFTER_MS = (30, 80, 150, 300)


def test_an_environment_killed_mid_request_loses_no_write_and_writes_none_twice(
    api: Api, faults: LocalFaults, load_shape: LoadShape
) -> None:
    # Given the hypothesis: users still list and send postcards; an operation whose environment
    # died may fail for its client (at most 15 %: the client may give up while a killed write's
    # in-progress record waits out the function's timeout), p99 within 20 s (that wait, plus
    # backoff), every acknowledged write stored exactly once
    hypothesis = steady_state(
        f"with {KILLS} environments killed as they answer, every acknowledged postcard is stored "
        "exactly once and new environments take over",
        max_error_rate=0.15,
        max_p99_ms=20_000,
        recovery_s=30,
        fault_visible=(
            Expectation(f"all {KILLS} kills happened", "observed.kills_left", "==", 0),
            Expectation("clients saw the crash as the gateway's 502", "attempt_statuses.502", ">=", 1),
            Expectation(
                "a write killed after writing was answered 502",
                "observed.killed_write.attempt_statuses.502",
                "==",
                1,
            ),
            Expectation("that write is stored exactly once", "observed.killed_write.stored", "==", 1),
            Expectation(
                "writes killed at any point: none stored twice", "observed.timed_kills.stored_twice", "==", 0
            ),
            Expectation(
                "writes killed at any point: none acknowledged and lost",
                "observed.timed_kills.acknowledged_not_stored",
                "==",
                0,
            ),
        ),
    )
    fault = faults.fault(
        "kill-environment",
        f"the API function's environment killed as it posts its response, {KILLS} times",
        function=api.function_name,
        count=KILLS,
    )

    def kills_left_and_a_killed_write() -> dict[str, Any]:
        (listed,) = [entry for entry in faults.list() if entry["kind"] == "kill-environment"]
        # The load's kills may all have met reads: one more, certainly on a keyed write.
        extra = faults.add("kill-environment", function=api.function_name, count=1)
        try:
            written = asyncio.run(_one_keyed_write(api))
        finally:
            faults.clear(extra["id"])
        # And writes killed part-way through, each at its own moment, at once.
        timed = [
            faults.add("kill-environment", function=api.function_name, after_ms=ms) for ms in KILLED_AFTER_MS
        ]
        try:
            writes = asyncio.run(_keyed_writes(api, len(KILLED_AFTER_MS)))
        finally:
            for added in timed:
                faults.clear(added["id"])
        return {
            "kills_left": listed["remaining"],
            "killed_write": written,
            "timed_kills": {
                "after_ms": list(KILLED_AFTER_MS),
                "writes": writes,
                "stored_twice": sum(write["stored"] > 1 for write in writes),
                "acknowledged_not_stored": sum(
                    write["final"] == 201 and write["stored"] == 0 for write in writes
                ),
            },
        }

    # When the experiment runs
    result = Experiment(
        "environment-killed", hypothesis, fault, load_shape, observe_during=kills_left_and_a_killed_write
    ).run(api)

    # Then the hypothesis held, and environments answered after the kills
    assert result.held, result.summary()
    assert result.phases["after"]["environments_seen"] >= 1


async def _keyed_writes(api: Api, count: int) -> list[dict[str, Any]]:
    return list(await asyncio.gather(*(_one_keyed_write(api) for _ in range(count))))


async def _one_keyed_write(api: Api) -> dict[str, Any]:
    """One postcard sent with an Idempotency-Key and retried as the load's clients do; what the
    client saw, and how many copies the table holds."""
    tag = f"killed-{uuid.uuid4().hex[:8]}"
    attempts = Attempts()
    async with aiohttp.ClientSession() as session:
        client = RetryingClient(session, api.url, attempts)
        answer = await client.post("/v1/postcards", {"author": tag, "message": tag}, uuid.uuid4().hex)
    stored = load.stored_messages(api.scan_pages("postcards"), tag)
    return {
        "attempt_statuses": {str(status): count for status, count in attempts.statuses.items()},
        "final": answer.status,
        "stored": len(stored),
    }

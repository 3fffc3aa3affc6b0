"""The executor's choice of environment, without processes: the idle stack, throttles, reaping on an
injected clock, retirement of a changed version and surplus provisioned environments."""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

import pytest

from local.invoke import InvokeError
from local.services.lambda_.background import BackgroundTasks
from local.services.lambda_.functions import FunctionVersion
from local.services.lambda_.invocation import Invocation, Outcome
from local.services.lambda_.pools import EnvironmentPools, Pool
from tests.local.lambda_.versions import function_version

ARN = "arn:aws:lambda:us-east-1:123456789012:function:pooled"


class FakeEnvironment:
    """An execution environment that answers with its own number and can be held mid-invocation."""

    def __init__(self, number: int, init_type: str, hold: asyncio.Event | None) -> None:
        self.number = number
        self.init_type = init_type
        self.alive = True
        self.last_used = 0.0
        self.stopped = False
        self.hold = hold  # set: the invocation waits for it
        self.initialized: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.initialized.set_result(None)

    async def start(self) -> None:
        pass

    async def invoke(self, invocation: Invocation) -> Outcome:
        if self.hold is not None:
            await self.hold.wait()
        return Outcome(str(self.number).encode())

    async def stop(self) -> None:
        self.stopped = True
        self.alive = False


class NoTelemetry:
    def __init__(self) -> None:
        self.throttles = 0

    def throttled(self, *_: Any) -> None:
        self.throttles += 1

    def started(self, *_: Any) -> None:
        pass

    def finished(self, *_: Any) -> None:
        pass


def version(reserved: int | None = None, handler: str = "app.handler") -> FunctionVersion:
    return function_version(
        "pooled",
        version="1",
        handler=handler,
        code_sha256="sha",
        reserved_concurrency=reserved,
        fingerprint=f"fp-{handler}",
    )


class Harness:
    def __init__(self, account_concurrency: int = 10) -> None:
        self.started: list[FakeEnvironment] = []
        self.hold: asyncio.Event | None = None  # environments started while set wait for it
        self.telemetry = NoTelemetry()
        self.background = BackgroundTasks()
        self.pools = EnvironmentPools(
            account_concurrency,
            self._new,
            self.background,
            self.telemetry,  # type: ignore[arg-type]
        )

    async def _new(self, function: FunctionVersion, init_type: str) -> Any:
        environment = FakeEnvironment(len(self.started) + 1, init_type, self.hold)
        self.started.append(environment)
        return environment

    async def call(self, function: FunctionVersion) -> int:
        invocation = Invocation(request_id="r", payload=b"{}", invoked_arn=ARN, trace_id="t")
        return int((await self.pools.run(function, invocation)).payload)

    async def until_started(self, count: int) -> None:
        """Until ``count`` environments exist (bounded: the calls in flight start them at once)."""
        for _ in range(1000):
            if len(self.started) >= count:
                return
            await asyncio.sleep(0)
        raise AssertionError(f"{len(self.started)} environments started, not {count}")

    def pool(self, function: FunctionVersion) -> Pool:
        return self.pools.by_version[(function.arn, function.version)]


def run(coroutine: Any) -> Any:
    return asyncio.run(coroutine)


def test_sequential_calls_reuse_one_warm_environment() -> None:
    async def scenario() -> list[int]:
        harness = Harness()
        return [await harness.call(version()) for _ in range(3)]

    assert run(scenario()) == [1, 1, 1]


def test_the_last_released_environment_is_taken_first() -> None:
    async def scenario() -> tuple[list[int], int]:
        # Given two environments busy at once, the first released before the second
        harness = Harness()
        function = version()
        harness.hold = asyncio.Event()
        first = asyncio.create_task(harness.call(function))
        second = asyncio.create_task(harness.call(function))
        await harness.until_started(2)
        harness.hold.set()
        answers = [await first, await second]
        # When one more call comes, then it takes the top of the idle stack (the last released)
        top = harness.pool(function).idle[-1].number
        return [*answers, await harness.call(function)], top

    answers, top = run(scenario())
    assert sorted(answers[:2]) == [1, 2]
    assert answers[2] == top


def test_an_idle_provisioned_environment_is_taken_before_warmer_on_demand_ones() -> None:
    async def scenario() -> tuple[int, int]:
        # Given a provisioned environment idle below an on-demand one used more recently
        harness = Harness()
        function = version()
        pool = harness.pools.pool(function)
        harness.hold = asyncio.Event()  # every environment's next call waits for it
        provisioned = await harness.pools.start_environment(pool, "provisioned-concurrency")
        pool.provisioned = 1
        pool.idle.append(provisioned)
        first = asyncio.create_task(harness.call(function))
        second = asyncio.create_task(harness.call(function))  # provisioned busy: an on-demand starts
        await harness.until_started(2)
        harness.hold.set()
        await first
        await second
        on_demand = next(e for e in pool.idle if e.init_type == "on-demand")
        pool.idle.remove(on_demand)
        pool.idle.append(on_demand)  # the on-demand one on top of the stack
        # When a call comes, then the provisioned one serves it
        return await harness.call(function), provisioned.number

    answer, provisioned = run(scenario())
    assert answer == provisioned


def test_reserved_concurrency_throttles_the_call_beyond_it() -> None:
    async def scenario() -> tuple[InvokeError, int]:
        harness = Harness()
        function = version(reserved=1)
        harness.hold = asyncio.Event()
        busy = asyncio.create_task(harness.call(function))
        await harness.until_started(1)
        with pytest.raises(InvokeError) as throttled:
            await harness.call(function)
        harness.hold.set()
        await busy
        return throttled.value, harness.telemetry.throttles

    error, throttles = run(scenario())
    assert (error.status_code, error.reason) == (429, "ReservedFunctionConcurrentInvocationLimitExceeded")
    assert throttles == 1


def test_the_account_quota_throttles_across_functions() -> None:
    async def scenario() -> InvokeError:
        harness = Harness(account_concurrency=1)
        harness.hold = asyncio.Event()
        busy = asyncio.create_task(harness.call(version()))
        await harness.until_started(1)
        other = dataclasses.replace(version(), arn=f"{ARN}-other", name="other")
        with pytest.raises(InvokeError) as throttled:
            await harness.call(other)
        harness.hold.set()
        await busy
        return throttled.value

    error = run(scenario())
    assert (error.status_code, error.reason) == (429, "ConcurrentInvocationLimitExceeded")


def test_reaping_stops_only_on_demand_environments_idle_past_the_timeout() -> None:
    async def scenario() -> tuple[int, list[bool]]:
        # Given an on-demand environment used at t=100 and a provisioned one used at t=0
        harness = Harness()
        function = version()
        await harness.call(function)
        pool = harness.pool(function)
        on_demand = pool.idle[0]
        on_demand.last_used = 100.0
        provisioned = await harness.pools.start_environment(pool, "provisioned-concurrency")
        pool.provisioned = 1
        pool.idle.append(provisioned)
        provisioned.last_used = 0.0
        # When the clock reads 100 + timeout (not past it), then 100 + timeout + 1
        kept = harness.pools.reap_idle(60, now=160.0)
        reaped = harness.pools.reap_idle(60, now=161.0)
        await asyncio.sleep(0)
        return kept + reaped * 10, [on_demand.stopped, provisioned.stopped]

    counts, stopped = run(scenario())
    assert counts == 10  # none at the boundary, one just past it
    assert stopped == [True, False]  # provisioned environments are never reaped


def test_a_changed_version_retires_its_pool_and_stops_its_environments_when_idle() -> None:
    async def scenario() -> tuple[list[int], bool, bool]:
        harness = Harness()
        before, after = version(), version(handler="app.changed")
        await harness.call(before)
        old = harness.pool(before)
        first = old.idle[0]
        answer = await harness.call(after)  # same ARN and version, new code or configuration
        await asyncio.sleep(0)
        return [answer], old.retired, first.stopped

    answers, retired, stopped = run(scenario())
    assert answers == [2]  # a new environment, not the old one
    assert retired
    assert stopped


def test_a_lowered_provisioned_count_stops_the_surplus_when_it_is_next_idle() -> None:
    async def scenario() -> tuple[bool, int]:
        harness = Harness()
        function = version()
        pool = harness.pools.pool(function)
        environment = await harness.pools.start_environment(pool, "provisioned-concurrency")
        pool.provisioned = 1
        pool.idle.append(environment)
        pool.provisioned = 0  # the configuration was lowered
        await harness.call(function)
        await asyncio.sleep(0)
        return environment.stopped, len(pool.idle)

    stopped, idle = run(scenario())
    assert stopped
    assert idle == 0


def test_a_dead_idle_environment_is_skipped_for_a_new_one() -> None:
    async def scenario() -> list[int]:
        harness = Harness()
        function = version()
        first = await harness.call(function)
        harness.started[0].alive = False  # its process died while idle
        return [first, await harness.call(function)]

    assert run(scenario()) == [1, 2]


def test_a_provisioned_environment_that_died_is_replaced() -> None:
    async def scenario() -> tuple[list[str], bool]:
        # Given a version with one provisioned environment, whose process then dies
        harness = Harness()
        function = version()
        pool = harness.pools.pool(function)
        provisioned = await harness.pools.start_environment(pool, "provisioned-concurrency")
        pool.provisioned = 1
        pool.idle.append(provisioned)
        provisioned.alive = False
        # When the next call finds it dead
        await harness.call(function)
        for _ in range(100):  # the replacement starts in the background
            await asyncio.sleep(0)
        kinds = sorted(e.init_type for e in pool.environments)
        return kinds, any(e.init_type == "provisioned-concurrency" for e in pool.idle)

    kinds, provisioned_idle = run(scenario())
    # Then a new provisioned environment stands ready beside the on-demand one that served the call
    assert kinds == ["on-demand", "provisioned-concurrency"]
    assert provisioned_idle

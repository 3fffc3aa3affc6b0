"""Which execution environment runs an invocation, and how many run at once.

- The environments of a function version form a pool. An invocation takes an idle provisioned
  environment if there is one, else the most recently used idle one (warm start), or, below the
  concurrency limit, starts a new one (cold start).
- Concurrency is the number of invocations in flight per function. The function's reserved
  concurrency caps it (429 ``ReservedFunctionConcurrentInvocationLimitExceeded``), else the account's
  quota does (429 ``ConcurrentInvocationLimitExceeded``).
- Idle on-demand environments are reaped after the idle timeout; a version whose code or
  configuration changed gets a new pool and the old one is retired (its environments stop when idle).
- Provisioned environments (``local.services.lambda_.provisioned`` sets how many) are never reaped;
  ones beyond a lowered count stop when they next become idle.

https://docs.aws.amazon.com/lambda/latest/dg/lambda-concurrency.html
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from local.invoke import InvokeError
from local.services.lambda_.background import BackgroundTasks
from local.services.lambda_.environment import ExecutionEnvironment, InitFailure, InitType
from local.services.lambda_.faults import LambdaFaults
from local.services.lambda_.functions import FunctionVersion
from local.services.lambda_.invocation import Invocation, Outcome
from local.services.lambda_.telemetry import LambdaTelemetry

# A new, not yet started environment of a function version.
NewEnvironment = Callable[[FunctionVersion, InitType], Awaitable[ExecutionEnvironment]]


@dataclass
class Pool:
    """The environments of one function version (one code and configuration)."""

    function: FunctionVersion
    idle: list[ExecutionEnvironment] = field(default_factory=list)  # a stack: the last used on top
    environments: set[ExecutionEnvironment] = field(default_factory=set)
    provisioned: int = 0  # environments to keep initialised
    retired: bool = False


@dataclass
class FunctionConcurrency:
    in_flight: int = 0


class EnvironmentPools:
    def __init__(
        self,
        account_concurrency: int,
        new_environment: NewEnvironment,
        background: BackgroundTasks,
        telemetry: LambdaTelemetry,
    ) -> None:
        self.account_concurrency = account_concurrency
        self.new_environment = new_environment
        self.background = background
        self.telemetry = telemetry  # every invocation's metrics and segments, throttles included
        self.faults = LambdaFaults()  # set at runtime (local.cloud.faults); none by default
        self.by_version: dict[tuple[str, str], Pool] = {}  # (function ARN, version)
        self._concurrency: dict[str, FunctionConcurrency] = {}  # function ARN
        self._in_flight = 0

    async def run(self, function: FunctionVersion, invocation: Invocation) -> Outcome:
        """Run one invocation on a warm or new environment; raise InvokeError when throttled."""
        if self.background.closed:
            raise InvokeError(503, "ServiceException", "the local cloud is shutting down")
        pool = self.pool(function)
        concurrency = self._concurrency.setdefault(function.arn, FunctionConcurrency())
        try:
            self._admit(function, concurrency)
        except InvokeError:
            self.telemetry.throttled(function, invocation)
            raise
        concurrency.in_flight += 1
        self._in_flight += 1
        self.telemetry.started(function, concurrency.in_flight, self._in_flight)
        environment: ExecutionEnvironment | None = None
        outcome: Outcome | None = None
        decision = self.faults.decide(function.name)
        try:
            if decision.error is not None:  # fails without running, as FIS's preventExecution
                outcome = decision.error.outcome()
            while outcome is None and pool.idle and environment is None:
                candidate = pool.idle.pop(self._next_idle(pool))
                if candidate.alive:
                    environment = candidate
                else:
                    pool.environments.discard(candidate)
                    self._replace_if_provisioned(pool, candidate)
            if outcome is None:
                if environment is None:
                    environment = await self.start_environment(pool, "on-demand")
                if decision.kill is not None:
                    environment.doom(invocation, decision.kill)
                outcome = await environment.invoke(invocation)
        except InitFailure as failure:
            outcome = Outcome(failure.payload, failure.error_type, "error")
        finally:
            concurrency.in_flight -= 1
            self._in_flight -= 1
            if environment is not None:
                self._release(pool, environment)
        self.telemetry.finished(function, invocation, outcome)
        return outcome

    @staticmethod
    def _next_idle(pool: Pool) -> int:
        """The idle environment to take: a provisioned one first (Lambda serves a function's calls
        from its provisioned concurrency before it uses on-demand environments:
        https://docs.aws.amazon.com/lambda/latest/dg/provisioned-concurrency.html), else the
        most recently used one (the top of the stack)."""
        for index in range(len(pool.idle) - 1, -1, -1):
            if pool.idle[index].init_type == "provisioned-concurrency":
                return index
        return len(pool.idle) - 1

    def _admit(self, function: FunctionVersion, concurrency: FunctionConcurrency) -> None:
        reserved = function.reserved_concurrency
        if reserved is not None and concurrency.in_flight >= reserved:
            raise InvokeError(
                429,
                "TooManyRequestsException",
                "Rate Exceeded.",
                "ReservedFunctionConcurrentInvocationLimitExceeded",
            )
        if self._in_flight >= self.account_concurrency:
            raise InvokeError(
                429, "TooManyRequestsException", "Rate Exceeded.", "ConcurrentInvocationLimitExceeded"
            )

    def _release(self, pool: Pool, environment: ExecutionEnvironment) -> None:
        if not environment.alive:
            pool.environments.discard(environment)
            self._replace_if_provisioned(pool, environment)
        elif pool.retired or self._surplus_provisioned(pool, environment):
            pool.environments.discard(environment)
            self.background.spawn(environment.stop())
        else:
            pool.idle.append(environment)

    def _replace_if_provisioned(self, pool: Pool, dead: ExecutionEnvironment) -> None:
        """Lambda keeps a version's provisioned concurrency allocated: a provisioned environment that
        died (a crash, a killed process) is replaced by a new one initialised ahead of traffic
        (https://docs.aws.amazon.com/lambda/latest/dg/provisioned-concurrency.html)."""
        if dead.init_type != "provisioned-concurrency" or pool.retired or self.background.closed:
            return
        count = sum(1 for e in pool.environments if e.init_type == "provisioned-concurrency")
        if count < pool.provisioned:
            self.background.spawn(self._provision_replacement(pool))

    async def _provision_replacement(self, pool: Pool) -> None:
        try:
            environment = await self.start_environment(pool, "provisioned-concurrency")
            await environment.initialized
        except (InvokeError, InitFailure) as error:
            print(
                f"lambda: a provisioned environment of {pool.function.name} could not be replaced: {error}",
                file=sys.stderr,
            )
            return
        pool.idle.insert(0, environment)

    @staticmethod
    def _surplus_provisioned(pool: Pool, environment: ExecutionEnvironment) -> bool:
        """A provisioned environment beyond what the configuration asks for (it was lowered)."""
        if environment.init_type != "provisioned-concurrency":
            return False
        count = sum(1 for e in pool.environments if e.init_type == "provisioned-concurrency")
        return count > pool.provisioned

    def pool(self, function: FunctionVersion) -> Pool:
        """The pool of ``function``'s version; a new one (the old retired) when its code or
        configuration changed."""
        key = (function.arn, function.version)
        pool = self.by_version.get(key)
        if pool is not None and pool.function.fingerprint != function.fingerprint:
            self._retire(pool)
            pool = None
        if pool is None:
            pool = self.by_version[key] = Pool(function)
        return pool

    def _retire(self, pool: Pool) -> None:
        pool.retired = True
        for environment in pool.idle:
            pool.environments.discard(environment)
            self.background.spawn(environment.stop())
        pool.idle.clear()

    async def start_environment(self, pool: Pool, init_type: InitType) -> ExecutionEnvironment:
        """A new environment in ``pool``, its process started (INIT runs on; ``initialized`` says
        when it is done)."""
        environment = await self.new_environment(pool.function, init_type)
        pool.environments.add(environment)
        try:
            await environment.start()
        except (OSError, InitFailure) as error:
            pool.environments.discard(environment)
            await environment.stop()
            if isinstance(error, InitFailure):
                raise
            raise InvokeError(500, "ServiceException", f"could not start the runtime: {error}") from error
        return environment

    def stop_idle(self, pool: Pool, environments: list[ExecutionEnvironment]) -> None:
        """Stop ``environments`` of ``pool``'s idle ones."""
        for environment in environments:
            pool.idle.remove(environment)
            pool.environments.discard(environment)
            self.background.spawn(environment.stop())

    def reap_idle(self, idle_timeout_s: float, now: float | None = None) -> int:
        """Stop on-demand environments idle for longer than ``idle_timeout_s`` at ``now`` (the
        monotonic clock environments stamp ``last_used`` with; injectable for tests); return how many."""
        deadline = (time.monotonic() if now is None else now) - idle_timeout_s
        reaped = 0
        for pool in self.by_version.values():
            keep = []
            for environment in pool.idle:
                if environment.init_type == "on-demand" and environment.last_used < deadline:
                    pool.environments.discard(environment)
                    self.background.spawn(environment.stop())
                    reaped += 1
                else:
                    keep.append(environment)
            pool.idle[:] = keep
        return reaped

    def all_environments(self) -> list[ExecutionEnvironment]:
        """Every environment, alive or not yet discarded."""
        return [e for pool in list(self.by_version.values()) for e in pool.environments]

    def environments(self, function_name: str | None = None) -> list[ExecutionEnvironment]:
        """Live environments (of one function)."""
        return [
            e
            for pool in self.by_version.values()
            for e in pool.environments
            if e.alive and (function_name is None or pool.function.name == function_name)
        ]

    async def stop_all(self) -> None:
        environments = self.all_environments()
        await asyncio.gather(*(e.stop() for e in environments), return_exceptions=True)
        self.by_version.clear()

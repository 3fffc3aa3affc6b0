"""The Lambda executor: Invoke, as the Lambda service runs it, over execution environments.

- Environments of a function version form a pool. An invocation takes the most recently used idle
  environment (warm start) or, below the concurrency limit, starts a new one (cold start).
- Concurrency is the number of invocations in flight per function. The function's reserved
  concurrency caps it (429 ``ReservedFunctionConcurrentInvocationLimitExceeded``), else the account's
  quota does (429 ``ConcurrentInvocationLimitExceeded``).
- Provisioned concurrency on an alias or version keeps that many environments initialised
  (``AWS_LAMBDA_INITIALIZATION_TYPE=provisioned-concurrency``, never reaped).
- Idle on-demand environments are reaped after ``idle_timeout_s``; environments of a version whose
  code or configuration changed are retired.
- ``Event`` invocations are queued (202 at once) and run in the background: throttles are retried
  with backoff for up to the maximum event age, function errors twice (or the function's
  MaximumRetryAttempts), then the event is dropped with a log line. A record of the invocation goes
  to the on-success or on-failure destination when one is configured (``destinations``).

https://docs.aws.amazon.com/lambda/latest/dg/lambda-concurrency.html
https://docs.aws.amazon.com/lambda/latest/dg/invocation-async.html
"""

from __future__ import annotations

import asyncio
import base64
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from local import ids
from local.config import ExecutorSettings
from local.control_client import ControlPlaneClient, ControlPlaneError
from local.invoke import MAX_ASYNC_PAYLOAD, MAX_SYNC_PAYLOAD, InvokeError, InvokeRequest, InvokeResult
from local.services.lambda_.artifacts import Artifacts
from local.services.lambda_.destinations import Condition, Destinations, EventConfig, invocation_record
from local.services.lambda_.environment import EnvironmentSpec, ExecutionEnvironment, InitFailure, InitType
from local.services.lambda_.functions import FunctionDirectory, FunctionVersion, split_function_name
from local.services.lambda_.invocation import Invocation, Outcome, new_trace_id
from local.services.lambda_.runtime import Runtime, RuntimeUnavailableError, provision
from local.services.logs.sink import LogSink

LOG_TAIL_BYTES = 4096
MEMORY_CHECK_INTERVAL_S = 0.1
THROTTLE_BACKOFF_S = (0.05, 5.0)  # first and largest delay between retries of a throttled event


@dataclass
class Pool:
    """The environments of one function version (one code and configuration)."""

    function: FunctionVersion
    idle: list[ExecutionEnvironment] = field(default_factory=list)
    environments: set[ExecutionEnvironment] = field(default_factory=set)
    provisioned: int = 0  # environments to keep initialised
    retired: bool = False


@dataclass(frozen=True)
class Request:
    """One Invoke call; an asynchronous one is run (and retried) under the same request id."""

    request_id: str
    payload: bytes
    invoked_arn: str
    client_context: str | None
    cognito_identity: str | None

    def invocation(self, trace_id: str, capture_logs: bool = False) -> Invocation:
        return Invocation(
            self.request_id,
            self.payload,
            self.invoked_arn,
            trace_id,
            self.client_context,
            self.cognito_identity,
            capture_logs,
        )


@dataclass
class FunctionConcurrency:
    in_flight: int = 0


class Executor:
    """Implements ``local.invoke.Invoker``."""

    def __init__(
        self,
        client: ControlPlaneClient,
        sink: LogSink,
        *,
        settings: ExecutorSettings,
        cache_dir: Path,
        region: str,
        edge_url: str,
        say: Callable[[str], None] = print,
    ) -> None:
        self.client = client
        self.sink = sink
        self.settings = settings
        self.cache_dir = cache_dir
        self.region = region
        self.edge_url = edge_url
        self.say = say
        self.directory = FunctionDirectory(client)
        self.artifacts = Artifacts(client, cache_dir)
        self.destinations = Destinations(client, self._invoke_destination)
        self._pools: dict[tuple[str, str], Pool] = {}  # (function ARN, version)
        self._concurrency: dict[str, FunctionConcurrency] = {}  # function ARN
        self._in_flight = 0
        self._runtimes: dict[str, Runtime] = {}
        self._runtime_lock = asyncio.Lock()
        self._provisioning = asyncio.Lock()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._closed = False

    # --- Invoker -----------------------------------------------------------------------------

    async def invoke(self, invoke: InvokeRequest) -> InvokeResult:
        """Lambda's Invoke."""
        name, qualifier = split_function_name(invoke.function_name, invoke.qualifier)
        function = await self.directory.resolve(name, qualifier)
        request_id = ids.request_id()
        headers = {"x-amzn-RequestId": request_id}
        invocation_type = invoke.invocation_type
        if invocation_type == "DryRun":
            return InvokeResult(204, executed_version=function.version, headers=headers)
        payload = invoke.payload or b"{}"
        limit = MAX_ASYNC_PAYLOAD if invocation_type == "Event" else MAX_SYNC_PAYLOAD
        if len(payload) > limit:
            operation = "InvokeAsync" if invocation_type == "Event" else "Invoke"
            raise InvokeError(
                413,
                "RequestTooLargeException",
                f"Request must be smaller than {limit} bytes for the {operation} operation",
            )
        _check_json(payload)
        client_context = invoke.client_context
        if client_context is not None:
            client_context = _decode_client_context(client_context)
        request = Request(
            request_id, payload, function.qualified_arn(qualifier), client_context, invoke.cognito_identity
        )
        if invocation_type == "Event":
            self._spawn_task(self._run_event(name, qualifier, function, request))
            return InvokeResult(202, executed_version=function.version, headers=headers)
        tail = invoke.log_type == "Tail"
        invocation = request.invocation(new_trace_id(function.tracing_mode == "Active"), tail)
        outcome = await self.run(function, invocation)
        return InvokeResult(
            200,
            payload=outcome.payload,
            function_error="Unhandled" if outcome.failed else None,
            executed_version=function.version,
            log_tail=_tail(invocation.log_lines) if tail else "",
            headers=headers,
        )

    # --- running -----------------------------------------------------------------------------

    async def run(self, function: FunctionVersion, invocation: Invocation) -> Outcome:
        """Run one invocation on a warm or new environment; raise InvokeError when throttled."""
        if self._closed:
            raise InvokeError(503, "ServiceException", "the local cloud is shutting down")
        pool = self._pool(function)
        concurrency = self._concurrency.setdefault(function.arn, FunctionConcurrency())
        self._admit(function, concurrency)
        concurrency.in_flight += 1
        self._in_flight += 1
        environment: ExecutionEnvironment | None = None
        try:
            while pool.idle and environment is None:
                candidate = pool.idle.pop()
                if candidate.alive:
                    environment = candidate
                else:
                    pool.environments.discard(candidate)
            if environment is None:
                environment = await self._start_environment(pool, "on-demand")
            return await environment.invoke(invocation)
        except InitFailure as failure:
            return Outcome(failure.payload, failure.error_type, "error")
        finally:
            concurrency.in_flight -= 1
            self._in_flight -= 1
            if environment is not None:
                self._release(pool, environment)

    def _admit(self, function: FunctionVersion, concurrency: FunctionConcurrency) -> None:
        reserved = function.reserved_concurrency
        if reserved is not None and concurrency.in_flight >= reserved:
            raise InvokeError(
                429,
                "TooManyRequestsException",
                "Rate Exceeded.",
                "ReservedFunctionConcurrentInvocationLimitExceeded",
            )
        if self._in_flight >= self.settings.account_concurrency:
            raise InvokeError(
                429, "TooManyRequestsException", "Rate Exceeded.", "ConcurrentInvocationLimitExceeded"
            )

    def _release(self, pool: Pool, environment: ExecutionEnvironment) -> None:
        if not environment.alive:
            pool.environments.discard(environment)
        elif pool.retired or self._surplus_provisioned(pool, environment):
            pool.environments.discard(environment)
            self._spawn_task(environment.stop())
        else:
            pool.idle.append(environment)

    @staticmethod
    def _surplus_provisioned(pool: Pool, environment: ExecutionEnvironment) -> bool:
        """A provisioned environment beyond what the configuration asks for (it was lowered)."""
        if environment.init_type != "provisioned-concurrency":
            return False
        count = sum(1 for e in pool.environments if e.init_type == "provisioned-concurrency")
        return count > pool.provisioned

    def _pool(self, function: FunctionVersion) -> Pool:
        key = (function.arn, function.version)
        pool = self._pools.get(key)
        if pool is not None and pool.function.fingerprint != function.fingerprint:
            self._retire(pool)
            pool = None
        if pool is None:
            pool = self._pools[key] = Pool(function)
        return pool

    def _retire(self, pool: Pool) -> None:
        pool.retired = True
        for environment in pool.idle:
            pool.environments.discard(environment)
            self._spawn_task(environment.stop())
        pool.idle.clear()

    async def _start_environment(self, pool: Pool, init_type: InitType) -> ExecutionEnvironment:
        function = pool.function
        runtime = await self._runtime(function.runtime)
        task_root = await self.artifacts.task_root(function)
        opt_dir = await self.artifacts.opt_dir(function)
        spec = EnvironmentSpec(
            function=function,
            runtime=runtime,
            task_root=task_root,
            opt_dir=opt_dir,
            region=self.region,
            edge_url=self.edge_url,
            init_timeout_s=self.settings.init_timeout_s,
            enforce_memory=self.settings.enforce_memory,
        )
        environment = ExecutionEnvironment(spec, self.sink, init_type)
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

    async def _runtime(self, name: str) -> Runtime:
        runtime = self._runtimes.get(name)
        if runtime is not None:
            return runtime
        async with self._runtime_lock:
            if name not in self._runtimes:
                try:
                    self._runtimes[name] = await asyncio.to_thread(provision, name, self.cache_dir, self.say)
                except RuntimeUnavailableError as error:
                    raise InvokeError(500, "ServiceException", str(error)) from error
        return self._runtimes[name]

    async def prepare_runtime(self, name: str) -> Runtime:
        """Install a runtime ahead of the first invocation (``make up`` does it for python3.13)."""
        return await self._runtime(name)

    # --- asynchronous invocations --------------------------------------------------------------

    async def _run_event(
        self, name: str, qualifier: str | None, function: FunctionVersion, request: Request
    ) -> None:
        config = await self._event_invoke_config(name, qualifier)
        received = time.monotonic()
        attempt = 0
        backoff = THROTTLE_BACKOFF_S[0]
        trace_id = new_trace_id(function.tracing_mode == "Active")
        outcome: Outcome | None = None
        while not self._closed:
            try:
                function = await self.directory.resolve(name, qualifier)
                outcome = await self.run(function, request.invocation(trace_id))
            except InvokeError as error:
                age = time.monotonic() - received
                if error.status_code == 429 and age + backoff < config.max_age_s:
                    await asyncio.sleep(backoff)
                    backoff = min(backoff * 2, THROTTLE_BACKOFF_S[1])
                    continue
                condition: Condition = "EventAgeExceeded" if error.status_code == 429 else "RetriesExhausted"
                self._drop(name, request.request_id, f"{error.error_type}: {error.message}")
                await self._record(
                    config.on_failure, request, function, outcome, condition=condition, invoke_count=attempt
                )
                return
            if not outcome.failed:
                runs = attempt + 1
                await self._record(
                    config.on_success, request, function, outcome, condition="Success", invoke_count=runs
                )
                return
            if attempt >= config.retries:
                self._drop(
                    name, request.request_id, f"failed {attempt + 1} times, last error {outcome.error_type}"
                )
                await self._record(
                    config.on_failure,
                    request,
                    function,
                    outcome,
                    condition="RetriesExhausted",
                    invoke_count=attempt + 1,
                )
                return
            delays = self.settings.async_retry_delays_s
            await asyncio.sleep(delays[min(attempt, len(delays) - 1)])
            attempt += 1

    async def _record(
        self,
        destination: str | None,
        request: Request,
        function: FunctionVersion,
        outcome: Outcome | None,
        *,
        condition: Condition,
        invoke_count: int,
    ) -> None:
        """Send the invocation's record to ``destination``, if the configuration names one."""
        if destination is None:
            return
        record = invocation_record(
            request_id=request.request_id,
            invoked_arn=request.invoked_arn,
            condition=condition,
            invoke_count=invoke_count,
            payload=request.payload,
            outcome=outcome,
            executed_version=function.version,
        )
        await self.destinations.send(destination, record)

    async def _invoke_destination(self, function: str, payload: bytes) -> None:
        """A Lambda destination: the record invokes it asynchronously, as Lambda does."""
        try:
            await self.invoke(InvokeRequest(function, payload, invocation_type="Event"))
        except InvokeError as error:
            raise ControlPlaneError(error.status_code, error.error_type, error.message) from error

    async def _event_invoke_config(self, name: str, qualifier: str | None) -> EventConfig:
        """The function's (or alias's) event invoke configuration, Lambda's defaults else."""
        query = {"Qualifier": qualifier} if qualifier else None
        try:
            document = await self.client.lambda_api(
                "GET", f"/2019-09-25/functions/{name}/event-invoke-config", query
            )
        except ControlPlaneError:
            document = {}  # none configured (404): Lambda's defaults
        except Exception as error:  # the control plane unreachable: defaults, and say so
            print(
                f"lambda: event invoke config of {name} unreadable, defaults used: {error!r}",
                file=sys.stderr,
            )
            document = {}
        return EventConfig.from_api(document, self.settings.async_max_event_age_s)

    def _drop(self, name: str, request_id: str, reason: str) -> None:
        # Beside the on-failure destination (if any), the console is where a dropped event shows up.
        print(
            f"lambda: dropped asynchronous event {request_id} for {name}: {reason}",
            file=sys.stderr,
            flush=True,
        )

    # --- provisioned concurrency ---------------------------------------------------------------

    async def sync_provisioned(self) -> int:
        """Start the environments that provisioned concurrency configurations ask for, stop those no
        longer asked for; return how many are provisioned. Reads the configurations of every function
        from the control plane (one sync at a time)."""
        async with self._provisioning:
            return await self._sync_provisioned()

    async def _sync_provisioned(self) -> int:
        wanted: dict[tuple[str, str], tuple[FunctionVersion, int]] = {}
        for name in await self._function_names():
            try:
                document = await self.client.lambda_api(
                    "GET", f"/2019-09-30/functions/{name}/provisioned-concurrency", {"List": "ALL"}
                )
            except ControlPlaneError:
                continue
            for config in document.get("ProvisionedConcurrencyConfigs", []):
                qualifier = config["FunctionArn"].split(":")[7]
                function = await self.directory.resolve(name, qualifier)
                key = (function.arn, function.version)
                count = int(config["RequestedProvisionedConcurrentExecutions"])
                previous = wanted.get(key, (function, 0))[1]
                wanted[key] = (function, previous + count)
        starts = []
        for key, pool in self._pools.items():
            if key not in wanted:
                pool.provisioned = 0
        for function, count in wanted.values():
            self._pool(function).provisioned = count
        for pool in list(self._pools.values()):
            provisioned = [e for e in pool.environments if e.init_type == "provisioned-concurrency"]
            starts += [self._provision_one(pool) for _ in range(pool.provisioned - len(provisioned))]
            # Fewer asked for than running: the idle extras go (busy ones finish first, on release).
            excess = max(0, len(provisioned) - pool.provisioned)
            for environment in [e for e in pool.idle if e in provisioned][:excess]:
                pool.idle.remove(environment)
                pool.environments.discard(environment)
                self._spawn_task(environment.stop())
        await asyncio.gather(*starts)
        return sum(count for _, count in wanted.values())

    async def _provision_one(self, pool: Pool) -> None:
        try:
            environment = await self._start_environment(pool, "provisioned-concurrency")
            await environment.initialized
        except (InvokeError, InitFailure) as error:
            self.say(f"lambda: provisioned environment of {pool.function.name} failed to start: {error}")
            return
        pool.idle.insert(0, environment)  # behind the warm on-demand ones: those are reaped first

    async def _function_names(self) -> list[str]:
        names: list[str] = []
        marker: str | None = None
        while True:
            query = {"Marker": marker} if marker else None
            document = await self.client.lambda_api("GET", "/2015-03-31/functions/", query)
            names += [f["FunctionName"] for f in document.get("Functions", [])]
            marker = document.get("NextMarker")
            if not marker:
                return names

    def function_changed(self, name: str) -> None:
        """A Lambda write API call for ``name`` went through the edge."""
        self.directory.invalidate(name)

    # --- housekeeping ----------------------------------------------------------------------------

    def start(self) -> None:
        self._spawn_task(self._reap_forever())
        self._spawn_task(self._watch_memory_forever())

    async def _reap_forever(self) -> None:
        interval = max(0.05, min(self.settings.idle_timeout_s / 4, 5.0))
        while True:
            await asyncio.sleep(interval)
            self.reap_idle()

    def reap_idle(self) -> int:
        """Stop on-demand environments idle for longer than the idle timeout; return how many."""
        deadline = time.monotonic() - self.settings.idle_timeout_s
        reaped = 0
        for pool in self._pools.values():
            keep = []
            for environment in pool.idle:
                if environment.init_type == "on-demand" and environment.last_used < deadline:
                    pool.environments.discard(environment)
                    self._spawn_task(environment.stop())
                    reaped += 1
                else:
                    keep.append(environment)
            pool.idle[:] = keep
        return reaped

    async def _watch_memory_forever(self) -> None:
        if not self.settings.enforce_memory:
            return
        while True:
            await asyncio.sleep(MEMORY_CHECK_INTERVAL_S)
            now = time.monotonic()
            for pool in list(self._pools.values()):
                for environment in list(pool.environments):
                    if (
                        environment.current is not None
                        and now - environment.busy_since > MEMORY_CHECK_INTERVAL_S
                    ):
                        environment.check_memory()

    def environments(self, function_name: str | None = None) -> list[ExecutionEnvironment]:
        """Live environments (of one function), for tests and the console."""
        return [
            e
            for pool in self._pools.values()
            for e in pool.environments
            if e.alive and (function_name is None or pool.function.name == function_name)
        ]

    async def close(self) -> None:
        self._closed = True
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        environments = [e for pool in self._pools.values() for e in pool.environments]
        await asyncio.gather(*(e.stop() for e in environments), return_exceptions=True)
        self._pools.clear()

    def _spawn_task(self, coroutine: Any) -> None:
        task = asyncio.create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


def _check_json(payload: bytes) -> None:
    """Lambda refuses a payload that is not JSON (orjson: this runs on every invocation)."""
    try:
        orjson.loads(payload)
    except orjson.JSONDecodeError as error:
        raise InvokeError(
            400,
            "InvalidRequestContentException",
            f"Could not parse request body into json: Could not parse payload into json: {error}",
        ) from error


def _decode_client_context(encoded: str) -> str:
    try:
        return base64.b64decode(encoded, validate=True).decode()
    except (ValueError, UnicodeDecodeError) as error:
        raise InvokeError(
            400,
            "InvalidRequestContentException",
            "Client context must be a valid Base64-encoded JSON object.",
        ) from error


def _tail(lines: list[str]) -> str:
    """X-Amz-Log-Result: the last 4 KB of the invocation's log, base64."""
    text = "".join(line if line.endswith("\n") else line + "\n" for line in lines).encode()
    return base64.b64encode(text[-LOG_TAIL_BYTES:]).decode()

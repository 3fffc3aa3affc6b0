"""The Lambda executor: Invoke, as the Lambda service runs it, over execution environments.

It implements ``local.invoke.Invoker`` and wires the parts that do the work:

- ``validation``: Invoke's checks (payload size and JSON, client context) before anything runs;
- ``pools``: which environment runs an invocation (warm, or a cold start) and the concurrency
  limits (reserved, account), reaping idle environments;
- ``async_events``: ``Event`` invocations, queued (202 at once), retried and recorded to their
  destinations;
- ``provisioned``: environments pre-warmed for provisioned concurrency configurations.

Here: the synchronous answer (payload, function error, log tail), the environments' runtimes and
artifacts, and the housekeeping loops (reaping, the memory watch).

https://docs.aws.amazon.com/lambda/latest/dg/lambda-invocation.html
"""

from __future__ import annotations

import asyncio
import base64
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from local import ids
from local.config import DEFAULT_ACCOUNT_ID, ExecutorSettings
from local.control_client import ControlPlaneClient
from local.invoke import InvokeError, InvokeRequest, InvokeResult
from local.services.lambda_ import status
from local.services.lambda_.artifacts import Artifacts
from local.services.lambda_.async_events import AsyncEvents
from local.services.lambda_.background import BackgroundTasks
from local.services.lambda_.credentials import ExecutionRoles
from local.services.lambda_.environment import EnvironmentSpec, ExecutionEnvironment, InitType
from local.services.lambda_.fis_extension import FaultSource
from local.services.lambda_.functions import FunctionDirectory, FunctionVersion, split_function_name
from local.services.lambda_.pools import EnvironmentPools
from local.services.lambda_.provisioned import ProvisionedConcurrency
from local.services.lambda_.runtime import Runtime, RuntimeUnavailableError, provision
from local.services.lambda_.telemetry import LambdaTelemetry
from local.services.lambda_.validation import accept
from local.services.logs.sink import LogSink

LOG_TAIL_BYTES = 4096
MEMORY_CHECK_INTERVAL_S = 0.1


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
        xray_daemon: str = "127.0.0.1:2000",
        telemetry: LambdaTelemetry | None = None,
        ca_bundle: Path | None = None,
        say: Callable[[str], None] = print,
    ) -> None:
        self.client = client
        self.sink = sink
        self.settings = settings
        self.cache_dir = cache_dir
        self.region = region
        self.edge_url = edge_url  # the AWS endpoint the functions' SDKs use
        self.ca_bundle = ca_bundle  # what they verify it with (the local CA)
        self.xray_daemon = xray_daemon  # AWS_XRAY_DAEMON_ADDRESS
        self.telemetry = telemetry or LambdaTelemetry(region=region, account_id=DEFAULT_ACCOUNT_ID)
        self.say = say
        self.directory = FunctionDirectory(client)
        self.artifacts = Artifacts(client, cache_dir)
        self.credentials = ExecutionRoles(client)
        self.background = BackgroundTasks()
        self.pools = EnvironmentPools(
            settings.account_concurrency, self._new_environment, self.background, self.telemetry
        )
        self.events = AsyncEvents(
            client, self.directory, self.pools, settings=settings, invoker=self, background=self.background
        )
        self.provisioned = ProvisionedConcurrency(client, self.directory, self.pools, say)
        self._runtimes: dict[str, Runtime] = {}
        self.faults = FaultSource(client, settings.fis_poll_interval_s)
        self._runtime_lock = asyncio.Lock()

    # --- Invoker -----------------------------------------------------------------------------

    async def invoke(self, request: InvokeRequest) -> InvokeResult:
        """Lambda's Invoke."""
        name, qualifier = split_function_name(request.function_name, request.qualifier)
        function = await self.directory.resolve(name, qualifier)
        request_id = ids.request_id()
        headers = {"x-amzn-RequestId": request_id}
        if request.invocation_type == "DryRun":
            return InvokeResult(204, executed_version=function.version, headers=headers)
        accepted = accept(request, request_id=request_id, invoked_arn=function.qualified_arn(qualifier))
        if request.invocation_type == "Event":
            self.events.queue(name, qualifier, function, accepted)
            return InvokeResult(202, executed_version=function.version, headers=headers)
        tail = request.log_type == "Tail"
        decision = self.telemetry.decide(function, request.trace_header)
        invocation = accepted.invocation(decision.header, tail, decision.trace)
        outcome = await self.pools.run(function, invocation)
        return InvokeResult(
            200,
            payload=outcome.payload,
            function_error="Unhandled" if outcome.failed else None,
            executed_version=function.version,
            log_tail=_tail(invocation.log_lines) if tail else "",
            headers=headers,
        )

    # --- environments ------------------------------------------------------------------------

    async def _new_environment(self, function: FunctionVersion, init_type: InitType) -> ExecutionEnvironment:
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
            xray_daemon=self.xray_daemon,
            ca_bundle=self.ca_bundle,
            init_timeout_s=self.settings.init_timeout_s,
            enforce_memory=self.settings.enforce_memory,
            credentials=await self.credentials.of(function),
            faults=self.faults,
        )
        return ExecutionEnvironment(spec, self.sink, init_type)

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

    async def sync_provisioned(self) -> int:
        """Start (and stop) environments as the provisioned concurrency configurations ask; return
        how many are provisioned."""
        return await self.provisioned.sync()

    def function_changed(self, name: str) -> None:
        """A Lambda write API call for ``name`` went through the edge."""
        self.directory.invalidate(name)

    def environments(self, function_name: str | None = None) -> list[ExecutionEnvironment]:
        """Live environments (of one function), for tests and the console."""
        return self.pools.environments(function_name)

    def status(self) -> dict[str, Any]:
        """Every live environment, as the console reads it (``local.services.lambda_.status``)."""
        return status.status(self.pools.environments())

    # --- housekeeping ----------------------------------------------------------------------------

    def start(self) -> None:
        self.background.spawn(self._reap_forever())
        self.background.spawn(self._watch_memory_forever())

    async def _reap_forever(self) -> None:
        interval = max(0.05, min(self.settings.idle_timeout_s / 4, 5.0))
        while True:
            await asyncio.sleep(interval)
            self.reap_idle()

    def reap_idle(self) -> int:
        """Stop on-demand environments idle for longer than the idle timeout; return how many."""
        return self.pools.reap_idle(self.settings.idle_timeout_s)

    async def _watch_memory_forever(self) -> None:
        if not self.settings.enforce_memory:
            return
        while True:
            await asyncio.sleep(MEMORY_CHECK_INTERVAL_S)
            now = time.monotonic()
            for environment in self.pools.all_environments():
                if environment.current is not None and now - environment.busy_since > MEMORY_CHECK_INTERVAL_S:
                    environment.check_memory()

    async def close(self) -> None:
        await self.background.close()
        await self.pools.stop_all()


def _tail(lines: list[str]) -> str:
    """X-Amz-Log-Result: the last 4 KB of the invocation's log, base64."""
    text = "".join(line if line.endswith("\n") else line + "\n" for line in lines).encode()
    return base64.b64encode(text[-LOG_TAIL_BYTES:]).decode()

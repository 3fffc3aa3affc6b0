"""One run of the local cloud (``LocalCloud``): its parts started in order, applies followed, and
everything stopped in reverse.

0. the local CA (once per user) and this cloud's own leaves (``local.tls``);
1. X-Ray (the daemon's UDP endpoint and the trace store), the edge (AWS endpoint, HTTP and HTTPS on
   one port) and the Lambda executor, in this process;
2. at once: the control plane (moto, a process of its own, with the previous run's state when the
   Terraform state still matches it: ``local.cloud.snapshot``), the container API stand-in (a process
   of its own: ``local.cloud.children``), the python runtime for the functions (installed once into
   the cache), and ``terraform apply`` of ``terraform/`` against the edge; a first apply serves as soon
   as everything the data planes read exists, and finishes the rest (``local.cloud.apply_progress``)
   in the background;
3. provisioned concurrency, schedules, the API Gateway data plane, the site and the alarm loop, then
   the HTTPS listener for every name with a validated certificate (``local.cloud.https``) and the
   local console (``local.console``);
then ``endpoints.json`` (``local.cloud.endpoints``). Metrics (Lambda's, API Gateway's, EMF lines) are
published to the control plane from the moment it answers.

One cohesive thing, the order of one run, hence a little over ~400 lines; each part's own work is
in the modules named above.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp

from local.cloud import children, endpoints, processes
from local.cloud.endpoints import Endpoints, Reported
from local.cloud.errors import UpError
from local.cloud.faults import LocalFaults
from local.cloud.https import LocalTls
from local.cloud.progress import Progress
from local.cloud.snapshot import SavedControlPlane
from local.cloud.stack import Applied, Stack, StackError
from local.config import Config
from local.console.server import Console
from local.console.sources import Sources
from local.control_client import ControlPlaneClient
from local.edge.faults import EdgeFaults
from local.edge.server import Edge
from local.lifecycle import Service
from local.services.apigateway import server as apigateway
from local.services.apigateway.access_logs import AccessLogStreams
from local.services.apigateway.telemetry import GatewayTelemetry
from local.services.cloudfront import server as site
from local.services.cloudwatch.alarm_evaluator import AlarmEvaluator
from local.services.cloudwatch.control import CloudWatchCalls
from local.services.cloudwatch.metrics import MetricPublisher
from local.services.events import schedules
from local.services.fis.service import Fis
from local.services.lambda_.executor import Executor
from local.services.lambda_.telemetry import LambdaTelemetry
from local.services.logs.sink import LogSink
from local.services.xray.service import XRay

RUNTIME = "python3.13"

# Root outputs the data planes read from the Terraform state: the site's response headers, and the
# URLs browsers open (endpoints.json).
SERVED_OUTPUTS = ("site_security_headers", "browser_urls")


@dataclass(frozen=True)
class Serving:
    """A first apply far enough along to serve: what is still being applied, and the outputs."""

    pending: list[str]
    outputs: dict[str, Any]


class LocalCloud:
    """Every part of a running local cloud, started by ``start`` and stopped by ``stop``."""

    def __init__(self, config: Config, progress: Progress) -> None:
        self.config = config
        self.progress = progress
        self.stack = Stack(config, progress.say)
        self.logs_dir = config.state_dir / "logs"
        self.saved = SavedControlPlane(config, self.stack)
        self.session: aiohttp.ClientSession | None = None
        self.sink: LogSink | None = None
        self.xray: XRay | None = None
        self.cloudwatch: CloudWatchCalls | None = None
        self.metrics: MetricPublisher | None = None
        self.executor: Executor | None = None
        self.edge: Edge | None = None
        self.fis: Fis | None = None
        self.tls: LocalTls | None = None  # the local CA, the leaves, the HTTPS listener
        self.controlplane: asyncio.subprocess.Process | None = None
        self.container_api: asyncio.subprocess.Process | None = None
        self.faults: LocalFaults | None = None  # set and cleared at runtime; none at start
        self.services: list[Service] = []  # data planes, in start order
        self.gateway: apigateway.ApiGateway | None = None
        self.site: site.SiteServer | None = None
        self.reported = Reported()  # what the steps reported: endpoints.json is made from it
        self.applied = False
        self.background: asyncio.Task[Any] | None = None  # an apply that runs while the cloud serves
        self.stopping = False
        # Provisioned concurrency changes are followed once the initial apply is over (during it,
        # pre-warmed environments would create log groups before Terraform does).
        self.provisioning = False

    # --- start -----------------------------------------------------------------------------------

    async def start(self) -> Endpoints:
        config, progress = self.config, self.progress
        self.logs_dir.mkdir(parents=True, exist_ok=True)
        self.stack.prepare_environment()
        restored = self.saved.keep_if_matching()
        # Nothing Terraform reads changed and the control plane comes back as Terraform left it: serve
        # at once and let Terraform confirm in the background.
        verify_later = config.apply_terraform and restored and self.stack.unchanged_since_last_apply()
        tls = self.tls = await asyncio.to_thread(LocalTls.prepare, config)
        self.session = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=120),
            connector=aiohttp.TCPConnector(ssl=tls.client),  # HTTPS: the container API
        )
        controlplane = ControlPlaneClient(config.controlplane_url, config.region, self.session)
        self.cloudwatch = CloudWatchCalls(controlplane, config.account_id)
        self.metrics = MetricPublisher(self.cloudwatch.put_metric_data)
        self.sink = LogSink(controlplane, config.console_logs, metrics=self.metrics)
        async with progress.stage(
            f"X-Ray daemon, AWS endpoint (edge) on {config.aws_endpoint_url} and Lambda executor"
        ):
            progress.say(f"    local CA: {tls.ca.bundle} (make trust adds it to the browsers' NSS database)")
            executor = await self._start_edge_and_executor(tls)
        outputs: dict[str, Any] = {}
        serving: Serving | None = None
        async with progress.stage(
            f"control plane (moto) on {config.controlplane_url}, container API, runtime, terraform apply"
        ):
            # All at once: Terraform starts (and loads its provider) while moto starts; its first
            # calls wait at the edge until the control plane answers.
            _, _, runtime, applied = await _all(
                self._start_controlplane(),
                self._start_container_api(),
                executor.prepare_runtime(RUNTIME),
                _nothing() if verify_later else self._apply_until_ready(),
            )
            progress.say(f"    {RUNTIME}: {runtime.python} (Python {runtime.python_version})")
            if verify_later:
                self.applied = True  # the control plane holds what the last apply made
                self.stack.publish_state()
                outputs = self.stack.outputs()
                self.reported.terraform = {"status": "applying", "why": "confirming the restored state"}
                progress.say(
                    "    terraform: inputs unchanged since the last apply and the control plane restored; "
                    "confirming with terraform apply in the background"
                )
            elif isinstance(applied, Serving):
                serving, outputs = applied, applied.outputs
                progress.say(
                    f"    terraform: serving; {len(serving.pending)} change(s) the data planes do not read "
                    "finish in the background (the AWS provider's fixed waits):"
                )
                for address in serving.pending:
                    progress.say(f"      {address}")
                self.reported.terraform = {"status": "applying", "pending": serving.pending}
            elif applied is not None:
                outputs = applied.outputs
                progress.say(f"    terraform: {applied.summary or 'applied'}")
                self.reported.terraform = {"status": "applied"}
                await self._save_snapshot()
            else:
                progress.say("    terraform skipped (--no-terraform): the control plane starts empty")
                self.reported.terraform = {"status": "skipped"}
                self.stack.publish_state()  # a state folder's earlier state, if kept
        async with progress.stage("provisioned concurrency, schedules, API Gateway, site"):
            self.provisioning = True
            provisioned = await executor.sync_provisioned()
            progress.say(f"    {provisioned} provisioned execution environment(s) initialised")
            await self._start_data_planes(outputs)
        written = self._write_endpoints()
        if verify_later:
            self.background = asyncio.create_task(self._finish_apply(self._apply()))
        elif serving is not None:
            assert self.background is not None  # the apply itself
            self.background = asyncio.create_task(self._finish_apply(self.background))
        return written

    async def _start_edge_and_executor(self, tls: LocalTls) -> Executor:
        """X-Ray first: the executor gives functions the daemon's address, the edge serves its API."""
        config, progress = self.config, self.progress
        assert self.session is not None
        assert self.sink is not None
        self.xray = XRay(
            config.state_dir,
            config.region,
            config.account_id,
            host=config.host,
            port=config.ports.xray_daemon,
            persist=config.persist,
            fresh=config.fresh,
        )
        await self.xray.start()
        self.services.append(self.xray)
        progress.say(
            f"    X-Ray daemon on udp://{self.xray.daemon.address}; {len(self.xray.store)} trace(s) kept"
        )
        self.executor = Executor(
            ControlPlaneClient(config.edge_url, config.region, self.session),
            self.sink,
            settings=config.executor,
            cache_dir=config.cache_dir,
            region=config.region,
            edge_url=config.aws_endpoint_url,  # what the functions' SDKs use, verified with the CA
            ca_bundle=tls.ca.bundle,
            xray_daemon=self.xray.daemon.address,
            telemetry=LambdaTelemetry(
                region=config.region,
                account_id=config.account_id,
                record=self.xray.record,
                metrics=self.metrics,
            ),
            say=progress.say,
        )
        # FIS runs experiments on the executor's invocations through S3 (local.services.fis).
        self.fis = Fis(
            ControlPlaneClient(config.edge_url, config.region, self.session), config.region, config.account_id
        )
        edge_faults = EdgeFaults()
        self.faults = LocalFaults(edge_faults, self.executor.pools.faults, self._restart_container_api)
        self.edge = Edge(
            config.host,
            config.ports.edge,
            config.controlplane_url,
            self.executor,
            self._function_written,
            xray=self.xray,
            fis=self.fis,
            tls_leaf=tls.loopback,
            environments=self.executor.status,
            faults=edge_faults,
            faults_control=self.faults.handle,
        )
        await self.edge.start()
        self.executor.start()
        return self.executor

    def _write_endpoints(self) -> Endpoints:
        document = Endpoints.of(self.config, self.reported)
        endpoints.write(self.config.endpoints_file, document)
        return document

    async def _start_controlplane(self) -> None:
        assert self.edge is not None
        assert self.sink is not None
        assert self.session is not None
        config = self.config
        self.controlplane = await children.spawn_controlplane(config, self.logs_dir, self.saved.path)
        await children.wait_until_answering(
            self.session,
            f"{config.controlplane_url}/_local/health",
            self.controlplane,
            what="control plane",
            logs_dir=self.logs_dir,
        )
        self.edge.upstream_ready.set()
        self.sink.start()
        if self.metrics is not None:
            await self.metrics.start()
            self.services.append(self.metrics)

    async def _start_container_api(self, delay_ms: float = 0.0) -> None:
        assert self.session is not None
        config = self.config
        self.container_api = await children.spawn_container_api(
            config, self.logs_dir, self._tls().loopback, delay_ms=delay_ms
        )
        self.reported.container_api_url = config.container_api_url
        await children.wait_until_answering(
            self.session,
            config.container_api_url + "/",
            self.container_api,
            what="container API stand-in",
            logs_dir=self.logs_dir,
            any_status=True,
            try_timeout_s=2 + delay_ms / 1000,  # a slow one (a fault) answers that much late
            timeout_s=60 + 2 * delay_ms / 1000,
        )

    async def _restart_container_api(self, running: bool, delay_ms: float) -> None:
        """The container API faults (``local.cloud.faults``): stopped, or started again."""
        if self.container_api is not None:
            await processes.stop(self.container_api)
            self.container_api = None
        if running:
            await self._start_container_api(delay_ms)

    async def _save_snapshot(self) -> None:
        if self.session is not None and self.controlplane is not None:
            await self.saved.save(self.session, self.progress.say)

    # --- terraform -------------------------------------------------------------------------------

    async def _apply_until_ready(self) -> Applied | Serving | None:
        """Apply; return when it is done, or as soon as the data planes can serve (a first apply,
        see ``local.cloud.apply_progress``): then the apply goes on as ``self.background``."""
        if not self.config.apply_terraform:
            return None
        loop = asyncio.get_running_loop()
        ready: asyncio.Future[list[str]] = loop.create_future()

        def on_ready(pending: list[str]) -> None:  # in the apply's thread
            loop.call_soon_threadsafe(lambda: None if ready.done() else ready.set_result(pending))

        applying = asyncio.create_task(self._apply(on_ready))
        self.background = applying  # stop() interrupts it
        either: set[asyncio.Future[Any]] = {applying, ready}
        await asyncio.wait(either, return_when=asyncio.FIRST_COMPLETED)
        if applying.done():
            self.background = None
            return applying.result()
        try:
            # Terraform goes on rewriting its state file: the outputs come from the published copy.
            return Serving(ready.result(), self.stack.outputs(served=True))
        except StackError as error:
            raise UpError(str(error)) from error

    async def _apply(self, on_ready: Callable[[list[str]], None] | None = None) -> Applied:
        try:
            applied = await asyncio.to_thread(self.stack.apply, on_ready, SERVED_OUTPUTS)
        except StackError as error:
            raise UpError(str(error)) from error
        self.applied = True
        return applied

    async def _finish_apply(self, applying: Awaitable[Applied]) -> None:
        """An apply that runs while the cloud serves (one confirming a fast start, or the rest of a
        first one): report it; reload the data planes if it changed anything (the rest of a first
        apply; something Terraform reads outside its inputs; drift in the control plane)."""
        started = time.monotonic()
        try:
            applied = await applying
        except Exception as error:  # reported, never lost: the cloud goes on serving
            if self.stopping:
                return  # Terraform was interrupted on purpose
            self.progress.say(f"==> warning: background terraform apply failed: {error}")
            self.reported.terraform = {"status": "failed", "error": str(error)}
            self._write_endpoints()
            return
        try:
            await self._take_applied(applied, time.monotonic() - started)
        except Exception as error:
            self.progress.say(f"==> warning: after the background terraform apply: {error!r}")

    async def _take_applied(self, applied: Applied, took: float) -> None:
        """What a finished background apply means for the running cloud."""
        if applied.changed:
            assert self.executor is not None
            await self.executor.sync_provisioned()
            for service in self.services:
                await _quietly(service.reload())
            self.reported.terraform_outputs = applied.outputs
            if self.tls is not None:
                self.reported.https_urls = self.tls.https.urls
        self.reported.terraform = {"status": "applied"}
        self._write_endpoints()
        self.progress.say(f"==> terraform (background, {took:.1f} s): {applied.summary}")  # all in place
        await self._save_snapshot()

    # --- data planes -----------------------------------------------------------------------------

    async def _start_data_planes(self, outputs: dict[str, Any]) -> None:
        """Schedules, then the gateway (which serves the schedules' admin routes), beside the site."""
        self.reported.terraform_outputs = outputs
        await _all(
            self._optional("schedules and API Gateway", self._start_schedules_and_gateway()),
            self._optional("site", self._start_site()),
        )
        await self._start_alarms()
        await self._optional("HTTPS listener", self._start_https())
        await self._optional("console", self._start_console())

    async def _start_alarms(self) -> None:
        """CloudWatch alarms, evaluated as CloudWatch evaluates them (their state and SNS actions)."""
        calls = self.cloudwatch
        assert calls is not None
        evaluator = AlarmEvaluator(
            calls.describe_alarms,
            calls.datapoints,
            calls.set_alarm_state,
            calls.publish,
            region=self.config.region,
            account_id=self.config.account_id,
            check_action=calls.sns_action_error,
            record_history=calls.record_history,
        )
        await evaluator.start()
        self.services.append(evaluator)

    async def _start_https(self) -> None:
        """After the gateway and the site: it serves with their protocols (and reloads after them)."""
        https = self._tls().https
        self.progress.say(f"    {await https.serve(self.gateway, self.site)}")
        self.services.append(https)
        self.reported.https_urls = https.urls

    async def _start_console(self) -> None:
        """The local console: read-only, through the edge's AWS APIs and the executor's status."""
        config = self.config
        console = Console(
            Sources(config.edge_url, config.region), config.host, config.ports.console, self._tls().loopback
        )
        await console.start()
        self.services.append(console)
        self.reported.console_url = f"{console.url}/"
        self.progress.say(f"    console on {console.url}/")

    async def _optional(self, what: str, step: Awaitable[None]) -> None:
        """A data plane that cannot start (nothing of its kind deployed, say) leaves the rest up."""
        try:
            await step
        except Exception as error:  # reported, not fatal: the AWS endpoint and Lambda still work
            self.progress.say(f"    warning: {what} not started: {error}")

    async def _start_schedules_and_gateway(self) -> None:
        config, executor, sink = self.config, self.executor, self.sink
        assert executor is not None
        assert sink is not None
        started = await schedules.start(
            executor, config.edge_url, region=config.region, account_id=config.account_id
        )
        self.services.append(started)
        self.progress.say(f"    schedules: {len(started.rules)} rule(s)")
        gateway = await apigateway.start(
            executor,
            config.edge_url,
            host=config.host,
            port=config.ports.apigateway,
            region=config.region,
            terraform_state=self.stack.served_state,
            admin_routes=[*started.admin_routes(), *self._tls().https.admin_routes()],
            access_log=AccessLogStreams(sink),  # stage access logs to CloudWatch
            telemetry=GatewayTelemetry(
                region=config.region,
                account_id=config.account_id,
                record=self.xray.record if self.xray else None,
                sampler=self.xray.sampler if self.xray else None,
                metrics=self.metrics,
            ),
            client_tls=self._tls().client,  # the container API is HTTPS
        )
        self.gateway = gateway
        self.services.append(gateway)
        self.reported.apigateway_endpoints = gateway.endpoints()

    async def _start_site(self) -> None:
        config = self.config
        started = await site.start(
            config.edge_url,
            host=config.host,
            port=config.ports.site,
            region=config.region,
            terraform_state=self.stack.served_state,
            alias=f"www.{config.domain_name}",
            tls=self._tls().https.router,
            https_port=config.ports.https,
        )
        self.site = started
        self.services.append(started)
        self.reported.site_url = started.url

    def _tls(self) -> LocalTls:
        assert self.tls is not None
        return self.tls

    def _function_written(self, name: str, path: str) -> None:
        assert self.executor is not None
        self.executor.function_changed(name)
        if path.startswith("/provisioned-concurrency") and self.provisioning:
            asyncio.get_running_loop().create_task(self.executor.sync_provisioned())

    # --- stop ------------------------------------------------------------------------------------

    async def stop(self) -> None:
        """Stop everything started so far, newest first; never raises."""
        self.stopping = True
        if self.background is not None and not self.background.done():
            await asyncio.to_thread(self.stack.cancel)
            self.background.cancel()
            await asyncio.gather(self.background, return_exceptions=True)
        self.stack.cancel()
        for service in reversed(self.services):
            await _quietly(service.stop())
        if self.fis is not None:  # its experiments' fault configurations deleted while S3 answers
            await _quietly(self.fis.close())
        if self.edge is not None:
            await _quietly(self.edge.stop())
        if self.executor is not None:
            await _quietly(self.executor.close())
        if self.sink is not None:
            await _quietly(self.sink.close())
        if self.applied:
            await self._save_snapshot()
        if self.container_api is not None:
            await _quietly(processes.stop(self.container_api))
        if self.controlplane is not None:
            await _quietly(processes.stop(self.controlplane))
        if self.session is not None:
            await _quietly(self.session.close())
        endpoints.remove_if_ours(self.config.endpoints_file)


async def _all(*steps: Awaitable[Any]) -> list[Any]:
    """Run ``steps`` concurrently; if one fails, cancel the others and raise its error."""
    tasks: list[asyncio.Task[Any]] = []
    try:
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(_coroutine(step)) for step in steps]
    except* UpError as errors:
        raise errors.exceptions[0] from None
    return [task.result() for task in tasks]


async def _coroutine(step: Awaitable[Any]) -> Any:
    return await step


async def _nothing() -> None:
    return None


async def _quietly(awaitable: Awaitable[Any]) -> None:
    try:
        await awaitable
    except Exception as error:  # shutting down: report and carry on with the rest
        print(f"warning: while stopping: {error!r}", file=sys.stderr)

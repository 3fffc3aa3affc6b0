"""``python -m local up``: the whole local cloud, in order, until Ctrl-C.

1. the python runtime for the functions (installed once into the cache);
2. the control plane: moto server in a process of its own, with the previous run's state when the
   Terraform state still matches it;
3. the edge (AWS endpoint) and the Lambda executor, in this process;
4. the stand-in of the container API (a process of its own);
5. ``terraform apply`` of ``terraform/`` against the edge; a first apply serves as soon as everything
   the data planes read exists, and finishes the rest (``local.cloud.apply_progress``) in the background;
6. provisioned concurrency, schedules, the API Gateway data plane and the site;
7. ``endpoints.json`` and the URLs.

Ctrl-C or SIGTERM stops everything in reverse order; child processes have their own process groups
and die with this one even if it is killed outright (``local.cloud.processes``). A lock file makes a
second ``make up`` on the same state folder say that one is running, and which.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import fcntl
import importlib.util
import json
import logging
import os
import signal
import socket
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import aiohttp

from local.cloud import processes
from local.cloud.stack import Applied, Stack, StackError
from local.config import Config
from local.control_client import ControlPlaneClient
from local.edge.server import Edge
from local.lifecycle import Service
from local.services.lambda_.executor import Executor
from local.services.logs.sink import LogSink

log = logging.getLogger("local.cloud.up")

RUNTIME = "python3.13"

# Root outputs the data planes read from the Terraform state: the site's response headers, and the
# URLs browsers open (endpoints.json).
SERVED_OUTPUTS = ("site_security_headers", "browser_urls")


class UpError(Exception):
    """A step failed; the message says which and why."""


class AlreadyRunningError(UpError):
    pass


@dataclass(frozen=True)
class Serving:
    """A first apply far enough along to serve: what is still being applied, and the outputs."""

    pending: list[str]
    outputs: dict[str, Any]


class Progress:
    def __init__(self, total: int, out: IO[str] = sys.stdout) -> None:
        self.total = total
        self.step = 0
        self.out = out

    def say(self, message: str) -> None:
        print(message, file=self.out, flush=True)

    @contextlib.asynccontextmanager
    async def stage(self, title: str) -> AsyncIterator[None]:
        self.step += 1
        self.say(f"==> [{self.step}/{self.total}] {title}")
        started = time.monotonic()
        yield
        self.say(f"    done in {time.monotonic() - started:.1f} s")


class Lock:
    """``<state>/up.lock``, held (flock) while a cloud runs on that state folder."""

    def __init__(self, state_dir: Path) -> None:
        self.path = state_dir / "up.lock"
        self._file: IO[str] | None = None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        file = self.path.open("a+")
        try:
            fcntl.flock(file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as error:
            file.seek(0)
            holder = file.read().strip() or "unknown"
            file.close()
            raise AlreadyRunningError(
                f"the local cloud is already running on {self.path.parent} ({holder}).\n"
                f"Its endpoints are in {self.path.parent / 'endpoints.json'}; stop it with Ctrl-C in its "
                "terminal (or kill that pid), or use another --state-dir and other ports."
            ) from error
        file.seek(0)
        file.truncate()
        file.write(f"pid {os.getpid()}, started {time.strftime('%Y-%m-%d %H:%M:%S')}")
        file.flush()
        self._file = file

    def release(self) -> None:
        if self._file is not None:
            self._file.seek(0)
            self._file.truncate()
            fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()
            self._file = None


def check_ports_free(config: Config) -> None:
    names = {
        "edge": config.ports.edge,
        "controlplane": config.ports.controlplane,
        "container-api": config.ports.container_api,
        "apigateway": config.ports.apigateway,
        "site": config.ports.site,
    }
    for name, port in names.items():
        if port == 0:
            continue
        with socket.socket() as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind((config.host, port))
            except OSError as error:
                if error.errno != errno.EADDRINUSE:
                    raise
                flag = f"--{name}-port"
                variable = f"LOCAL_{name.upper().replace('-', '_')}_PORT"
                raise UpError(
                    f"port {port} ({name}) on {config.host} is in use by another program; "
                    f"stop it or choose another port with {flag} (or {variable})"
                ) from error


class LocalCloud:
    """Every part of a running local cloud, started by ``start`` and stopped by ``stop``."""

    def __init__(self, config: Config, progress: Progress) -> None:
        self.config = config
        self.progress = progress
        self.stack = Stack(config, progress.say)
        self.logs_dir = config.state_dir / "logs"
        self.snapshot = config.state_dir / "controlplane.snapshot"
        self.snapshot_meta = config.state_dir / "controlplane.snapshot.json"
        self.session: aiohttp.ClientSession | None = None
        self.sink: LogSink | None = None
        self.executor: Executor | None = None
        self.edge: Edge | None = None
        self.controlplane: asyncio.subprocess.Process | None = None
        self.container_api: asyncio.subprocess.Process | None = None
        self.services: list[Service] = []  # data planes, in start order
        self.endpoints: dict[str, Any] = {}  # endpoints.json, made from self.parts
        self.parts: dict[str, Any] = {}  # what the steps reported
        self.applied = False
        self.background: asyncio.Task[Any] | None = None  # an apply that runs while the cloud serves
        self.stopping = False
        # Provisioned concurrency changes are followed once the initial apply is over (during it,
        # pre-warmed environments would create log groups before Terraform does).
        self.provisioning = False

    # --- start -----------------------------------------------------------------------------------

    async def start(self) -> dict[str, Any]:
        config, progress = self.config, self.progress
        self.logs_dir.mkdir(parents=True, exist_ok=True)
        self.stack.prepare_environment()
        restored = self._check_snapshot()
        # Nothing Terraform reads changed and the control plane comes back as Terraform left it: serve
        # at once and let Terraform confirm in the background.
        verify_later = config.apply_terraform and restored and self.stack.unchanged_since_last_apply()
        self.session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=120))
        self.sink = LogSink(
            ControlPlaneClient(config.controlplane_url, config.region, self.session), config.console_logs
        )
        self.executor = Executor(
            ControlPlaneClient(config.edge_url, config.region, self.session),
            self.sink,
            settings=config.executor,
            cache_dir=config.cache_dir,
            region=config.region,
            edge_url=config.edge_url,
            say=progress.say,
        )
        async with progress.stage(f"AWS endpoint (edge) on {config.edge_url} and Lambda executor"):
            self.edge = Edge(
                config.host, config.ports.edge, config.controlplane_url, self.executor, self._function_written
            )
            await self.edge.start()
            self.executor.start()
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
                self.executor.prepare_runtime(RUNTIME),
                _nothing() if verify_later else self._apply_until_ready(),
            )
            progress.say(f"    {RUNTIME}: {runtime.python} (Python {runtime.python_version})")
            if verify_later:
                self.applied = True  # the control plane holds what the last apply made
                self.stack.publish_state()
                outputs = self.stack.outputs()
                self.parts["terraform"] = {"status": "applying", "why": "confirming the restored state"}
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
                self.parts["terraform"] = {"status": "applying", "pending": serving.pending}
            elif applied is not None:
                outputs = applied.outputs
                progress.say(f"    terraform: {applied.summary or 'applied'}")
                self.parts["terraform"] = {"status": "applied"}
                await self._save_snapshot()
            else:
                progress.say("    terraform skipped (--no-terraform): the control plane starts empty")
                self.parts["terraform"] = {"status": "skipped"}
                self.stack.publish_state()  # a state folder's earlier state, if kept
        async with progress.stage("provisioned concurrency, schedules, API Gateway, site"):
            self.provisioning = True
            provisioned = await self.executor.sync_provisioned()
            progress.say(f"    {provisioned} provisioned execution environment(s) initialised")
            await self._start_data_planes(outputs)
        self._write_endpoints()
        if verify_later:
            self.background = asyncio.create_task(self._finish_apply(self._apply()))
        elif serving is not None:
            assert self.background is not None  # the apply itself
            self.background = asyncio.create_task(self._finish_apply(self.background))
        return self.endpoints

    def _write_endpoints(self) -> None:
        self.endpoints = self._endpoints()
        partial = self.config.endpoints_file.with_suffix(".partial")  # readers never see half a file
        partial.write_text(json.dumps(self.endpoints, indent=2) + "\n")
        partial.replace(self.config.endpoints_file)

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
            self.parts["terraform"] = {"status": "failed", "error": str(error)}
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
            self.parts["outputs"] = applied.outputs
        self.parts["terraform"] = {"status": "applied"}
        self._write_endpoints()
        self.progress.say(f"==> terraform (background, {took:.1f} s): {applied.summary}")  # all in place
        await self._save_snapshot()

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
            return Serving(ready.result(), self.stack.outputs())
        except StackError as error:
            raise UpError(str(error)) from error

    async def _apply(self, on_ready: Callable[[list[str]], None] | None = None) -> Applied:
        try:
            applied = await asyncio.to_thread(self.stack.apply, on_ready, SERVED_OUTPUTS)
        except StackError as error:
            raise UpError(str(error)) from error
        self.applied = True
        return applied

    def _check_snapshot(self) -> bool:
        """Keep the saved control plane only if it belongs to the Terraform state on disk; say if kept."""
        if self.config.fresh or not self._snapshot_matches_state():
            self.snapshot.unlink(missing_ok=True)
            self.snapshot_meta.unlink(missing_ok=True)
            self.stack.forget()
            return False
        return True

    async def _start_controlplane(self) -> None:
        assert self.edge is not None
        assert self.sink is not None
        config = self.config
        env = {
            **os.environ,
            "MOTO_ACM_VALIDATION_WAIT": "0",  # certificates are ISSUED at once
            "MOTO_ALLOW_NONEXISTENT_REGION": "true",
            "PYTHONUNBUFFERED": "1",
        }
        log_file = (self.logs_dir / "controlplane.log").open("ab")
        argv = [
            sys.executable,
            "-m",
            "local.controlplane",
            "--host",
            config.host,
            "--port",
            str(config.ports.controlplane),
            "--edge-url",
            config.edge_url,
        ]
        if config.persist:
            argv += ["--snapshot", str(self.snapshot)]
        self.controlplane = await processes.spawn(argv, env=env, cwd=config.root, output=log_file)
        log_file.close()
        await self._wait_http(f"{config.controlplane_url}/_local/health", self.controlplane, "control plane")
        self.edge.upstream_ready.set()
        self.sink.start()

    def _snapshot_matches_state(self) -> bool:
        """The saved control plane belongs to the Terraform state on disk (or persistence is off)."""
        if not self.config.persist:
            return False
        try:
            saved = json.loads(self.snapshot_meta.read_text())
        except (OSError, ValueError):
            return False
        return self.snapshot.exists() and saved == self.stack.state_identity()

    async def _save_snapshot(self) -> None:
        if not self.config.persist or self.session is None or self.controlplane is None:
            return
        identity = self.stack.state_identity()
        try:
            async with self.session.post(
                f"{self.config.controlplane_url}/_local/snapshot", json=identity
            ) as response:
                answer = await response.json()
                if response.status != 200:
                    raise UpError(str(answer.get("error")))
        except (aiohttp.ClientError, UpError) as error:
            self.progress.say(
                f"    warning: control plane state not saved ({error}); next start is a fresh apply"
            )
            self.snapshot_meta.unlink(missing_ok=True)
            return
        self.snapshot_meta.write_text(json.dumps(identity))

    async def _start_container_api(self) -> None:
        config = self.config
        if importlib.util.find_spec("local.standins.container_api") is None:
            self.progress.say("    (local/container_api not present: skipped)")
            return
        log_file = (self.logs_dir / "container_api.log").open("ab")
        argv = [
            sys.executable,
            "-m",
            "local.standins.container_api",
            "--host",
            config.host,
            "--port",
            str(config.ports.container_api),
        ]
        self.container_api = await processes.spawn(argv, cwd=config.root, output=log_file)
        log_file.close()
        await self._wait_http(
            config.container_api_url + "/", self.container_api, "container API stand-in", any_status=True
        )

    async def _start_data_planes(self, outputs: dict[str, Any]) -> None:
        """Schedules, then the gateway (which serves the schedules' admin routes), beside the site."""
        self.parts["outputs"] = outputs
        await _all(
            self._optional("schedules and API Gateway", self._start_schedules_and_gateway()),
            self._optional("site", self._start_site()),
        )

    async def _optional(self, what: str, step: Awaitable[None]) -> None:
        """A data plane that cannot start (nothing of its kind deployed, say) leaves the rest up."""
        try:
            await step
        except Exception as error:  # reported, not fatal: the AWS endpoint and Lambda still work
            self.progress.say(f"    warning: {what} not started: {error}")

    async def _start_schedules_and_gateway(self) -> None:
        config, executor = self.config, self.executor
        assert executor is not None
        admin_routes: list[Any] = []
        if importlib.util.find_spec("local.services.events.schedules") is not None:
            from local.services.events import schedules

            started = await schedules.start(
                executor, config.edge_url, region=config.region, account_id=config.account_id
            )
            self.services.append(started)
            admin_routes += started.admin_routes()
            self.progress.say(f"    schedules: {len(started.rules)} rule(s)")
        if importlib.util.find_spec("local.services.apigateway.server") is None:
            self.progress.say("    (local/apigateway not present: no API Gateway data plane)")
            return
        from local.services.apigateway import server as apigateway

        options: dict[str, Any] = {}
        if (
            importlib.util.find_spec("local.services.apigateway.access_logs") is not None
            and self.sink is not None
        ):
            from local.services.apigateway.access_logs import AccessLogStreams

            options["access_log"] = AccessLogStreams(self.sink)  # stage access logs to CloudWatch
        gateway = await apigateway.start(
            executor,
            config.edge_url,
            host=config.host,
            port=config.ports.apigateway,
            region=config.region,
            terraform_state=self.stack.served_state,
            admin_routes=admin_routes,
            **options,
        )
        self.services.append(gateway)
        self.parts["apigateway"] = gateway.endpoints()

    async def _start_site(self) -> None:
        config = self.config
        if importlib.util.find_spec("local.services.cloudfront.server") is None:
            self.progress.say("    (local/site not present: no site)")
            return
        from local.services.cloudfront import server as site

        started = await site.start(
            config.edge_url,
            host=config.host,
            port=config.ports.site,
            region=config.region,
            terraform_state=self.stack.served_state,
            alias=f"www.{config.domain_name}",
        )
        self.services.append(started)
        self.parts["site"] = started.url

    def _endpoints(self) -> dict[str, Any]:
        config = self.config
        parts = self.parts
        gateway = parts.get("apigateway") or []
        stage: dict[str, Any] = next((e for e in gateway if "url" in e), {})
        custom: dict[str, Any] = next((e for e in gateway if "custom_domain_url" in e), {})
        outputs: dict[str, Any] = parts.get("outputs", {})
        # Browsers open the site by the name its CORS origin and thumbnails use (Terraform's
        # browser_urls; *.localhost is loopback in browsers, not in every resolver), scripts by address.
        browser_site = (outputs.get("browser_urls") or {}).get("site_origin")
        document: dict[str, Any] = {
            "site_url": parts.get("site"),
            "site_browser_url": browser_site or parts.get("site"),
            "api_url": stage.get("url"),
            "api_custom_domain_url": custom.get("custom_domain_url"),
            "api_execute_api_url": stage.get("execute_api_url"),
            "container_api_url": config.container_api_url if self.container_api is not None else None,
            "aws_endpoint_url": config.edge_url,
            "controlplane_url": config.controlplane_url,
            "apigateway_url": f"http://{config.host}:{config.ports.apigateway}",
            "rest_api_id": stage.get("api_id"),
            "stage": stage.get("stage"),
            "region": config.region,
            "account_id": config.account_id,
            "domain_name": config.domain_name,
            "pid": os.getpid(),
            "state_dir": str(config.state_dir),
            "apigateway_endpoints": gateway,
            "terraform_outputs": outputs,
            "terraform": parts.get("terraform"),  # status: applying (in the background), applied, failed
        }
        return document

    async def _wait_http(
        self,
        url: str,
        process: asyncio.subprocess.Process,
        what: str,
        any_status: bool = False,
        timeout_s: float = 60,
    ) -> None:
        assert self.session is not None
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if process.returncode is not None:
                raise UpError(f"the {what} exited with status {process.returncode}; see {self.logs_dir}")
            with contextlib.suppress(aiohttp.ClientError, OSError):
                async with self.session.get(url, timeout=aiohttp.ClientTimeout(total=2)) as response:
                    if response.status == 200 or any_status:
                        return
            await asyncio.sleep(0.05)
        raise UpError(f"the {what} did not answer {url} within {timeout_s:.0f} s; see {self.logs_dir}")

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
        with contextlib.suppress(OSError):
            if json.loads(self.config.endpoints_file.read_text()).get("pid") == os.getpid():
                self.config.endpoints_file.unlink()


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


def print_urls(endpoints: dict[str, Any], out: IO[str] = sys.stdout) -> None:
    rows = [
        ("site (browser)", endpoints.get("site_browser_url") or endpoints.get("site_url")),
        ("API", endpoints.get("api_url")),
        ("API (custom domain)", endpoints.get("api_custom_domain_url")),
        ("container API", endpoints.get("container_api_url")),
        ("AWS endpoint", endpoints.get("aws_endpoint_url")),
    ]
    print("\nThe local cloud is up:", file=out)
    for label, url in rows:
        if url:
            print(f"  {label:<20} {url}", file=out)
    print(f"  {'endpoints.json':<20} {Path(endpoints['state_dir']) / 'endpoints.json'}", file=out)
    print(
        f"\n  aws --endpoint-url {endpoints['aws_endpoint_url']} lambda list-functions"
        "\n  Ctrl-C stops everything.\n",
        file=out,
        flush=True,
    )


async def _serve(config: Config) -> int:
    progress = Progress(total=3)
    cloud = LocalCloud(config, progress)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    main = asyncio.current_task()
    assert main is not None
    starting = True

    def on_signal() -> None:
        nonlocal starting
        stop.set()
        if starting:  # interrupt whatever step is running, once: a second signal must not cut stop()
            starting = False
            main.cancel()

    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, on_signal)
    try:
        endpoints = await cloud.start()
        starting = False
        print_urls(endpoints)
        await stop.wait()
        progress.say("\n==> stopping")
        return 0
    except asyncio.CancelledError:
        progress.say("\n==> interrupted, stopping")
        return 130
    except UpError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    finally:
        await cloud.stop()
        progress.say("==> stopped")


def _run(main: Coroutine[Any, Any, int]) -> int:
    """Run on uvloop where it is installed: every invocation crosses this process's loop three times
    (API request, Runtime API next and response), and libuv's loop costs ~20 % less CPU per request
    than asyncio's own (bench local_gateway)."""
    try:
        import uvloop
    except ImportError:  # e.g. Windows; asyncio's loop works the same, only slower
        return asyncio.run(main)
    return uvloop.run(main)


def up(config: Config) -> int:
    logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s", stream=sys.stdout)
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    lock = Lock(config.state_dir)
    try:
        lock.acquire()
        check_ports_free(config)
    except UpError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    profile = os.environ.get("LOCAL_PROFILE")  # developers: CPU profile of this process, pstats file
    try:
        if not profile:
            return _run(_serve(config))
        import cProfile

        profiler = cProfile.Profile(time.process_time)
        try:
            return profiler.runcall(_run, _serve(config))
        finally:
            profiler.dump_stats(profile)
    finally:
        lock.release()

"""One execution environment: a process running the runtime (awslambdaric) against our Runtime API.

The environment owns its process (a session of its own, so that a kill takes its children too), its
Runtime API listener (``local.services.lambda_.runtime_api``), its log stream, and the lifecycle Lambda
documents: INIT (spawn until the first ``/next``), then INVOKE phases, each ending with a response,
an error, a timeout (the process is killed), a crash, or the memory limit. Every invocation ends in an
``Outcome`` and the platform lines START / END / REPORT (with Init Duration after a cold start).
What the process is given and what it writes are modules of their own: its variables
(``variables``), its output pipes read into the log (``pipes``), and the REPORT line (``report``).
What is left is one cohesive thing, the lifecycle, hence its length.

https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import json
import os
import signal
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from local.services.lambda_ import memory
from local.services.lambda_.credentials import RoleSession
from local.services.lambda_.faults import KillRule
from local.services.lambda_.fis_extension import FaultSource
from local.services.lambda_.functions import FunctionVersion
from local.services.lambda_.invocation import Invocation, Outcome, platform_error
from local.services.lambda_.pipes import ProcessOutput
from local.services.lambda_.report import report_line
from local.services.lambda_.runtime import Runtime
from local.services.lambda_.runtime_api import RuntimeApiServer
from local.services.lambda_.variables import lambda_variables
from local.services.logs.sink import LogSink, LogStream

# Lambda's response payload quota for synchronous invocations.
MAX_RESPONSE_BYTES = 6 * 1024 * 1024


class State(enum.Enum):
    STARTING = "starting"  # process spawned, init running
    READY = "ready"  # waiting for an invocation
    BUSY = "busy"
    DEAD = "dead"


InitType = Literal["on-demand", "provisioned-concurrency"]


@dataclass(frozen=True)
class EnvironmentSpec:
    """Everything needed to start an environment of one function version."""

    function: FunctionVersion
    runtime: Runtime
    task_root: Path
    opt_dir: Path
    region: str
    edge_url: str
    xray_daemon: str  # host:port, AWS_XRAY_DAEMON_ADDRESS
    init_timeout_s: float
    enforce_memory: bool
    ca_bundle: Path | None = None
    credentials: RoleSession | None = None  # the execution role's; None: the administrator's
    faults: FaultSource | None = None  # the FIS extension's part (local.services.lambda_.fis_extension)


class ExecutionEnvironment:
    def __init__(self, spec: EnvironmentSpec, sink: LogSink, init_type: InitType = "on-demand") -> None:
        self.spec = spec
        self.function = spec.function
        self.id = uuid.uuid4().hex
        self.init_type = init_type
        self.state = State.STARTING
        today = datetime.now(UTC).strftime("%Y/%m/%d")
        self.log: LogStream = sink.stream(
            self.function.name, self.function.log_group, f"{today}/[{self.function.version}]{self.id}"
        )
        self.process: asyncio.subprocess.Process | None = None
        self.server = RuntimeApiServer(self)
        self.initialized: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        # An on-demand environment's init failure reaches its caller through the invocation.
        self.initialized.add_done_callback(lambda f: f.cancelled() or f.exception())
        self.init_duration_ms: float | None = None  # handed to the first invocation's REPORT
        self.init_ms: float | None = None  # kept: what the console shows for this environment
        self.created_at = time.time()
        self.invocations = 0  # handed out here; an on-demand environment's first is its cold start
        self.init_error: tuple[bytes, str] | None = None
        self.current: Invocation | None = None
        self.last_used = time.monotonic()
        self.busy_since = 0.0
        self.max_memory_mib = 0.0
        self._queued: Invocation | None = None
        self._deliver: Callable[[Invocation], None] | None = None  # a runtime waiting in GET /next
        self.memory: memory.ProcessMemory | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._spawned = 0.0
        self.output = ProcessOutput(self.log)
        self._kill_outcome: Outcome | None = None
        self._doomed: str | None = None  # a request id whose response kills the process instead
        self._exit_task: asyncio.Task[None] | None = None

    # --- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        """Spawn the runtime process; ``initialized`` resolves at its first ``/next``."""
        port = await self.server.start()
        out_write, telemetry_write = self.output.open()
        spec = self.spec
        env = lambda_variables(
            self.function,
            spec.runtime,
            task_root=spec.task_root,
            opt_dir=spec.opt_dir,
            region=spec.region,
            edge_url=spec.edge_url,
            xray_daemon=spec.xray_daemon,
            ca_bundle=spec.ca_bundle,
            init_type=self.init_type,
            log_group=self.log.group,
            log_stream=self.log.name,
            runtime_api=f"127.0.0.1:{port}",
            telemetry_fd=telemetry_write,
            credentials=spec.credentials,
        )
        runtime = spec.runtime
        if runtime.python is not None and runtime.bootstrap is not None:
            # -S: no site-packages of the host interpreter; the path is Lambda's (see variables.py).
            argv = [str(runtime.python), "-S", str(runtime.bootstrap), self.function.handler]
        else:
            argv = [str(_bootstrap(self.spec.task_root, self.spec.opt_dir))]
        wrapper = _exec_wrapper(env.get("AWS_LAMBDA_EXEC_WRAPPER"), self.spec.opt_dir)
        if wrapper is not None:
            argv = [str(wrapper), *argv]
        self.log.write(
            f"INIT_START Runtime Version: {self.function.runtime}.local"
            f"\tRuntime Version ARN: local:{runtime.python_version or runtime.name}"
        )
        self._spawned = time.perf_counter()
        # Armed before the spawn: the runtime's first /next can be served (and cancel this timer)
        # before this coroutine resumes, and the timer set after it would then outlive INIT and kill
        # the healthy environment init_timeout_s later, its running invocation with it.
        self._timer = asyncio.get_running_loop().call_later(self.spec.init_timeout_s, self._init_timed_out)
        try:
            self.process = await asyncio.create_subprocess_exec(
                *argv,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=out_write,
                stderr=out_write,
                pass_fds=(telemetry_write,),
                env=env,
                cwd=self.spec.task_root,
                start_new_session=True,
            )
        except BaseException:
            self._timer.cancel()
            self._timer = None
            raise
        finally:
            self.output.close_write_ends()
        self.memory = memory.ProcessMemory(self.process.pid)
        self.output.watch()
        self._exit_task = asyncio.create_task(self._watch_exit())

    async def _watch_exit(self) -> None:
        assert self.process is not None
        code = await self.process.wait()
        self._drain()
        self.output.close()
        self.state = State.DEAD
        if self._timer is not None:
            self._timer.cancel()
        reason = (
            f"signal: {signal.Signals(-code).name.removeprefix('SIG').lower()}"
            if code < 0
            else f"exit status {code}"
        )
        if self.init_error is not None and not self.initialized.done():
            self.initialized.set_exception(InitFailure(*self.init_error))
        elif not self.initialized.done():
            error = self._kill_outcome or platform_error(
                "Runtime.ExitError", f"Runtime exited with error: {reason}"
            )
            self.initialized.set_exception(
                InitFailure(error.payload, error.error_type or "Runtime.ExitError")
            )
        invocation = self.current or self._queued
        if invocation is not None and not invocation.result.done():
            if not invocation.started:  # failed in INIT: Lambda still reports the invocation
                self._report_failed_init(invocation)
            if self._kill_outcome is not None:
                outcome = self._kill_outcome
            elif self.init_error is not None:
                outcome = Outcome(self.init_error[0], self.init_error[1], "error")
            else:
                outcome = platform_error(
                    "Runtime.ExitError",
                    f"RequestId: {invocation.request_id} Error: Runtime exited with error: {reason}",
                )
                self.log.write(
                    f"RequestId: {invocation.request_id} Error: Runtime exited with error: {reason}"
                )
            self._finish(invocation, outcome)
        if self.memory is not None:
            self.memory.close()
        await self.server.stop()

    def _report_failed_init(self, invocation: Invocation) -> None:
        elapsed_ms = (time.perf_counter() - self._spawned) * 1000
        if self.init_error is not None:
            self.log.write(
                f"INIT_REPORT Init Duration: {elapsed_ms:.2f} ms\tPhase: init\tStatus: error"
                f"\tError Type: {self.init_error[1]}"
            )
        invocation.started = time.perf_counter()
        invocation.init_duration_ms = elapsed_ms
        self.log.write(f"START RequestId: {invocation.request_id} Version: {self.function.version}")

    def kill(self, outcome: Outcome | None = None) -> None:
        """Kill the process group; the running invocation (if any) ends with ``outcome``."""
        if self._kill_outcome is None:
            self._kill_outcome = outcome
        self.state = State.DEAD
        if self.process is not None and self.process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)

    async def stop(self) -> None:
        self.kill()
        if self._exit_task is not None:
            await self._exit_task
        else:  # never spawned (no bootstrap, or the spawn failed): its pipes go too
            self.output.close()
            await self.server.stop()

    @property
    def alive(self) -> bool:
        return self.state is not State.DEAD

    def doom(self, invocation: Invocation, rule: KillRule) -> None:
        """A fault (``local.services.lambda_.faults``): this environment dies during ``invocation``,
        when the function posts its response or ``rule.after_ms`` into it."""
        if rule.when == "before-response":
            self._doomed = invocation.request_id
        else:
            asyncio.get_running_loop().call_later(rule.after_ms / 1000, self._killed_during, invocation)

    def _killed_during(self, invocation: Invocation) -> None:
        if invocation.result.done() or not self.alive:
            return
        message = f"RequestId: {invocation.request_id} Error: Runtime exited with error: signal: killed"
        self.log.write(message)
        self.kill(platform_error("Runtime.ExitError", message))

    # --- invocations -------------------------------------------------------------------------

    async def invoke(self, invocation: Invocation) -> Outcome:
        """Run ``invocation`` here (queued until the runtime asks for it) and wait for its end."""
        self.state = State.BUSY
        self.busy_since = time.monotonic()
        self.current = invocation
        if invocation.capture_logs:
            self.log.capture = invocation.log_lines
        if self.spec.faults is not None:
            invocation.fault = await self.spec.faults.fault_for(self.function, invocation.qualifier)
        deliver, self._deliver = self._deliver, None
        if deliver is not None:  # the runtime is waiting in GET /next: answer it now
            self._hand_out(invocation)
            self._give(invocation, deliver)
        else:
            self._queued = invocation
        return await invocation.result

    def next_invocation(self, deliver: Callable[[Invocation], None]) -> Invocation | None:
        """``GET /next``: the queued invocation, or None and ``deliver`` is called with the next one.

        The first call ends INIT. Delivery is a plain callback (no task, no extra turn of the event
        loop): the Runtime API answers the waiting request from within ``invoke``.
        """
        if not self.initialized.done():
            self.init_duration_ms = self.init_ms = (time.perf_counter() - self._spawned) * 1000
            if self._timer is not None:
                self._timer.cancel()
            self.initialized.set_result(self.init_duration_ms)
        if self.current is None and self.state is State.STARTING:
            self.state = State.READY
        invocation, self._queued = self._queued, None
        if invocation is None:
            self._deliver = deliver
            return None
        self._hand_out(invocation)
        if invocation.fault is None:
            return invocation
        self._give(invocation, deliver)
        return None

    def _give(self, invocation: Invocation, deliver: Callable[[Invocation], None]) -> None:
        """Hand ``invocation`` to the runtime waiting in ``/next``, through its fault if it has one:
        where the FIS extension, a proxy of this API, delays the event or answers in its place."""
        fault = invocation.fault
        if fault is None:
            deliver(invocation)
            return
        self.log.write(f"{invocation.request_id} {fault.describe()}")
        if fault.delay_s > 0:
            asyncio.get_running_loop().call_later(fault.delay_s, self._after_delay, invocation, deliver)
        else:
            self._after_delay(invocation, deliver)

    def _after_delay(self, invocation: Invocation, deliver: Callable[[Invocation], None]) -> None:
        fault = invocation.fault
        if invocation.result.done() or not self.alive or fault is None:
            return  # timed out during the delay (the environment is gone)
        if fault.answer is not None and fault.prevent_execution:
            self._finish(invocation, fault.answer)
            self._deliver = deliver  # the runtime still waits for an event
        else:
            deliver(invocation)

    def cancel_next(self, deliver: Callable[[Invocation], None]) -> None:
        """The runtime's connection closed while it waited in GET /next."""
        if self._deliver is deliver:
            self._deliver = None

    def _hand_out(self, invocation: Invocation) -> None:
        """The INVOKE phase starts: deadline, START line, timeout timer."""
        invocation.started = time.perf_counter()
        self.invocations += 1
        invocation.deadline_ms = int(time.time() * 1000 + self.function.timeout_s * 1000)
        if self.init_duration_ms is not None and self.init_type == "on-demand":
            invocation.init_duration_ms, self.init_duration_ms = self.init_duration_ms, None
        self.init_duration_ms = None
        self.log.write(f"START RequestId: {invocation.request_id} Version: {self.function.version}")
        self._timer = asyncio.get_running_loop().call_later(
            self.function.timeout_s, self._timed_out, invocation
        )

    def post_response(self, request_id: str, body: bytes) -> int:
        """``POST /response``; the Runtime API status code."""
        invocation = self.current
        if invocation is None or invocation.request_id != request_id or invocation.result.done():
            return 400
        if self._doomed == request_id:  # the work is done, the answer is lost with the process
            self._killed_during(invocation)
            return 202
        if len(body) > MAX_RESPONSE_BYTES:
            self._finish(
                invocation,
                platform_error(
                    "Function.ResponseSizeTooLarge",
                    "Response payload size exceeded maximum allowed payload size "
                    f"({MAX_RESPONSE_BYTES} bytes).",
                ),
            )
            return 413
        self._finish(invocation, _injected(invocation) or Outcome(body))
        return 202

    def post_error(self, request_id: str, body: bytes, error_type: str | None) -> int:
        invocation = self.current
        if invocation is None or invocation.request_id != request_id or invocation.result.done():
            return 400
        outcome = Outcome(body, error_type or _error_type(body) or "Unhandled", "error")
        self._finish(invocation, _injected(invocation) or outcome)
        return 202

    def post_init_error(self, body: bytes, error_type: str | None) -> int:
        if self.initialized.done():
            return 403  # not in INIT any more
        self.init_error = (body, error_type or _error_type(body) or "Runtime.Unknown")
        return 202

    def _init_timed_out(self) -> None:
        if self.initialized.done():
            return  # INIT ended (its timer is cancelled then; this only guards a timer left behind)
        seconds = self.spec.init_timeout_s
        self.kill(platform_error("Runtime.InitTimeout", f"Init phase timed out after {seconds:.2f} seconds"))
        self.log.write(f"INIT_REPORT Init Duration: {seconds * 1000:.2f} ms\tPhase: init\tStatus: timeout")

    def _timed_out(self, invocation: Invocation) -> None:
        if invocation.result.done():
            return
        seconds = self.function.timeout_s
        message = f"RequestId: {invocation.request_id} Error: Task timed out after {seconds:.2f} seconds"
        stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
        self.log.write(f"{stamp} {invocation.request_id} Task timed out after {seconds:.2f} seconds")
        outcome = platform_error("Sandbox.Timedout", message)
        outcome.status = "timeout"
        self.kill(outcome)
        self._finish(invocation, outcome)

    def _finish(self, invocation: Invocation, outcome: Outcome) -> None:
        """End ``invocation``: memory check, END and REPORT lines, resolve its future."""
        invocation.finished = time.perf_counter()
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._drain()  # lines the function wrote before answering belong before END
        duration_ms = (time.perf_counter() - invocation.started) * 1000 if invocation.started else 0.0
        peak = self.memory.peak_mib(duration_ms / 1000) if self.memory is not None else None
        if peak is not None:
            self.max_memory_mib = max(self.max_memory_mib, peak)
        limit = self.function.memory_mb
        if (
            self.spec.enforce_memory
            and self.max_memory_mib > limit
            and outcome.error_type != "Sandbox.Timedout"
        ):
            outcome = platform_error(
                "Runtime.OutOfMemory",
                f"RequestId: {invocation.request_id} Error: Runtime exited with error: signal: killed",
            )
            self.kill(outcome)
        if invocation.started:
            self.log.write(f"END RequestId: {invocation.request_id}")
            self.log.write(
                report_line(
                    invocation,
                    outcome,
                    duration_ms,
                    memory_mb=limit,
                    max_memory_mib=self.max_memory_mib,
                    enforce_memory=self.spec.enforce_memory,
                )
            )
        self.log.capture = None
        self.current = None
        self.last_used = time.monotonic()
        if self.alive:
            self.state = State.READY
        if not invocation.result.done():
            invocation.result.set_result(outcome)

    def check_memory(self) -> None:
        """Kill a busy environment above its memory size (called periodically by the executor)."""
        if self.memory is None or self.current is None or not self.spec.enforce_memory:
            return
        used = self.memory.current_mib()
        if used is not None and used > self.function.memory_mb:
            self.max_memory_mib = max(self.max_memory_mib, used)
            invocation = self.current
            outcome = platform_error(
                "Runtime.OutOfMemory",
                f"RequestId: {invocation.request_id} Error: Runtime exited with error: signal: killed",
            )
            self.kill(outcome)
            self._finish(invocation, outcome)

    def _drain(self) -> None:
        self.output.drain(self.process is not None and self.process.returncode is not None)


class InitFailure(Exception):
    def __init__(self, payload: bytes, error_type: str) -> None:
        super().__init__(error_type)
        self.payload = payload
        self.error_type = error_type


def _error_type(body: bytes) -> str | None:
    try:
        document = json.loads(body)
    except ValueError:
        return None
    return (
        str(document.get("errorType")) if isinstance(document, dict) and document.get("errorType") else None
    )


def _bootstrap(task_root: Path, opt_dir: Path) -> Path:
    for candidate in (task_root / "bootstrap", opt_dir / "bootstrap"):
        if candidate.is_file():
            return candidate
    raise InitFailure(
        json.dumps(
            {"errorType": "Runtime.InvalidEntrypoint", "errorMessage": "Couldn't find valid bootstrap(s)"}
        ).encode(),
        "Runtime.InvalidEntrypoint",
    )


def _injected(invocation: Invocation) -> Outcome | None:
    """The answer an FIS fault puts in place of the function's, after it ran (preventExecution false)."""
    fault = invocation.fault
    return fault.answer if fault is not None and not fault.prevent_execution else None


def _exec_wrapper(configured: str | None, opt_dir: Path) -> Path | None:
    """``AWS_LAMBDA_EXEC_WRAPPER``: a script Lambda starts the runtime through, with the runtime's
    command line as its arguments (a layer's ``/opt/...`` is this environment's ``opt_dir``).
    https://docs.aws.amazon.com/lambda/latest/dg/runtimes-modify.html#runtime-wrapper"""
    if not configured:
        return None
    path = opt_dir / configured.removeprefix("/opt/") if configured.startswith("/opt/") else Path(configured)
    return path if path.is_file() and os.access(path, os.X_OK) else None

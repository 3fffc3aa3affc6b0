"""One execution environment: a process running the runtime (awslambdaric) against our Runtime API.

The environment owns its process (a session of its own, so that a kill takes its children too), its
Runtime API listener (``local.services.lambda_.runtime_api``), its log stream, and the lifecycle Lambda
documents: INIT (spawn until the first ``/next``), then INVOKE phases, each ending with a response,
an error, a timeout (the process is killed), a crash, or the memory limit. Every invocation ends in an
``Outcome`` and the platform lines START / END / REPORT (with Init Duration after a cold start).

https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import json
import math
import os
import select
import signal
import struct
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from local.services.lambda_ import memory
from local.services.lambda_.functions import FunctionVersion
from local.services.lambda_.invocation import Invocation, Outcome, platform_error
from local.services.lambda_.runtime import Runtime
from local.services.lambda_.runtime_api import RuntimeApiServer
from local.services.logs.sink import LogSink, LogStream

# Lambda's response payload quota for synchronous invocations.
MAX_RESPONSE_BYTES = 6 * 1024 * 1024
# awslambdaric's telemetry frame header: type (4), length (4), timestamp in microseconds (8).
_FRAME_HEADER = struct.Struct(">IIQ")


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
    init_timeout_s: float
    enforce_memory: bool


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
        self.init_duration_ms: float | None = None
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
        self._fds: list[int] = []
        self._poller: select.poll | None = None
        self._partial = b""
        self._frames = b""
        self._kill_outcome: Outcome | None = None
        self._exit_task: asyncio.Task[None] | None = None

    # --- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        """Spawn the runtime process; ``initialized`` resolves at its first ``/next``."""
        port = await self.server.start()
        out_read, out_write = os.pipe()
        telemetry_read, telemetry_write = os.pipe()
        env = self._environment(port, telemetry_write)
        runtime = self.spec.runtime
        if runtime.python is not None and runtime.bootstrap is not None:
            # -S: no site-packages of the host interpreter; the path is Lambda's (see _environment).
            argv = [str(runtime.python), "-S", str(runtime.bootstrap), self.function.handler]
        else:
            argv = [str(_bootstrap(self.spec.task_root, self.spec.opt_dir))]
        self.log.write(
            f"INIT_START Runtime Version: {self.function.runtime}.local"
            f"\tRuntime Version ARN: local:{runtime.python_version or runtime.name}"
        )
        self._spawned = time.perf_counter()
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
        finally:
            os.close(out_write)
            os.close(telemetry_write)
        self.memory = memory.ProcessMemory(self.process.pid)
        loop = asyncio.get_running_loop()
        self._poller = select.poll()
        for fd, reader in ((out_read, self._read_output), (telemetry_read, self._read_telemetry)):
            os.set_blocking(fd, False)
            loop.add_reader(fd, reader, fd)
            self._fds.append(fd)
            self._poller.register(fd, select.POLLIN)
        self._timer = loop.call_later(self.spec.init_timeout_s, self._init_timed_out)
        self._exit_task = asyncio.create_task(self._watch_exit())

    def _environment(self, port: int, telemetry_fd: int) -> dict[str, str]:
        fn, spec = self.function, self.spec
        opt, task = str(spec.opt_dir), str(spec.task_root)
        env = {
            # The function's own variables first: Lambda's reserved names below always win.
            **fn.environment,
            "_HANDLER": fn.handler,
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{fn.runtime}",
            "AWS_LAMBDA_FUNCTION_NAME": fn.name,
            "AWS_LAMBDA_FUNCTION_VERSION": fn.version,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(fn.memory_mb),
            "AWS_LAMBDA_LOG_GROUP_NAME": self.log.group,
            "AWS_LAMBDA_LOG_STREAM_NAME": self.log.name,
            "AWS_LAMBDA_INITIALIZATION_TYPE": self.init_type,
            "AWS_LAMBDA_RUNTIME_API": f"127.0.0.1:{port}",
            "LAMBDA_TASK_ROOT": task,
            "LAMBDA_RUNTIME_DIR": str(spec.runtime.runtime_dir or ""),
            "AWS_REGION": spec.region,
            "AWS_DEFAULT_REGION": spec.region,
            "AWS_ACCESS_KEY_ID": "test",
            "AWS_SECRET_ACCESS_KEY": "test",
            "AWS_SESSION_TOKEN": "test",
            "AWS_XRAY_CONTEXT_MISSING": "LOG_ERROR",
            "AWS_XRAY_DAEMON_ADDRESS": "127.0.0.1:2000",
            "_AWS_XRAY_DAEMON_ADDRESS": "127.0.0.1",
            "_AWS_XRAY_DAEMON_PORT": "2000",
            "_LAMBDA_TELEMETRY_LOG_FD": str(telemetry_fd),
            "TZ": ":UTC",
            "LANG": "en_US.UTF-8",
            "PATH": os.pathsep.join(
                ([str(spec.runtime.python.parent)] if spec.runtime.python is not None else [])
                + ["/usr/local/bin", "/usr/bin", "/bin", f"{opt}/bin"]
            ),
            "LD_LIBRARY_PATH": os.pathsep.join([f"{task}/lib", f"{opt}/lib"]),
            # boto3 in the function must not read the host user's ~/.aws files.
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        }
        if spec.runtime.python is not None:
            minor = spec.runtime.python_version.rsplit(".", 1)[0]
            # Lambda's module search order for Python: task root, layers, runtime.
            env["PYTHONPATH"] = os.pathsep.join(
                [
                    task,
                    f"{opt}/python/lib/python{minor}/site-packages",
                    f"{opt}/python",
                    str(spec.runtime.runtime_dir),
                ]
            )
        if fn.log_format == "JSON":
            env["AWS_LAMBDA_LOG_FORMAT"] = "JSON"
            if fn.application_log_level:
                env["AWS_LAMBDA_LOG_LEVEL"] = fn.application_log_level
        env.setdefault("AWS_ENDPOINT_URL", spec.edge_url)
        return env

    async def _watch_exit(self) -> None:
        assert self.process is not None
        code = await self.process.wait()
        self._drain()
        for fd in self._fds:
            asyncio.get_running_loop().remove_reader(fd)
            os.close(fd)
        self._fds = []
        self._poller = None
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
        else:
            await self.server.stop()

    @property
    def alive(self) -> bool:
        return self.state is not State.DEAD

    # --- invocations -------------------------------------------------------------------------

    async def invoke(self, invocation: Invocation) -> Outcome:
        """Run ``invocation`` here (queued until the runtime asks for it) and wait for its end."""
        self.state = State.BUSY
        self.busy_since = time.monotonic()
        self.current = invocation
        if invocation.capture_logs:
            self.log.capture = invocation.log_lines
        deliver, self._deliver = self._deliver, None
        if deliver is not None:  # the runtime is waiting in GET /next: answer it now
            self._hand_out(invocation)
            deliver(invocation)
        else:
            self._queued = invocation
        return await invocation.result

    def next_invocation(self, deliver: Callable[[Invocation], None]) -> Invocation | None:
        """``GET /next``: the queued invocation, or None and ``deliver`` is called with the next one.

        The first call ends INIT. Delivery is a plain callback (no task, no extra turn of the event
        loop): the Runtime API answers the waiting request from within ``invoke``.
        """
        if not self.initialized.done():
            self.init_duration_ms = (time.perf_counter() - self._spawned) * 1000
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
        return invocation

    def cancel_next(self, deliver: Callable[[Invocation], None]) -> None:
        """The runtime's connection closed while it waited in GET /next."""
        if self._deliver is deliver:
            self._deliver = None

    def _hand_out(self, invocation: Invocation) -> None:
        """The INVOKE phase starts: deadline, START line, timeout timer."""
        invocation.started = time.perf_counter()
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
        self._finish(invocation, Outcome(body))
        return 202

    def post_error(self, request_id: str, body: bytes, error_type: str | None) -> int:
        invocation = self.current
        if invocation is None or invocation.request_id != request_id or invocation.result.done():
            return 400
        self._finish(invocation, Outcome(body, error_type or _error_type(body) or "Unhandled", "error"))
        return 202

    def post_init_error(self, body: bytes, error_type: str | None) -> int:
        if self.initialized.done():
            return 403  # not in INIT any more
        self.init_error = (body, error_type or _error_type(body) or "Runtime.Unknown")
        return 202

    def _init_timed_out(self) -> None:
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
            self.log.write(self._report(invocation, outcome, duration_ms))
        self.log.capture = None
        self.current = None
        self.last_used = time.monotonic()
        if self.alive:
            self.state = State.READY
        if not invocation.result.done():
            invocation.result.set_result(outcome)

    def _report(self, invocation: Invocation, outcome: Outcome, duration_ms: float) -> str:
        # Since August 2025 Lambda bills the INIT phase of on-demand functions too.
        init = invocation.init_duration_ms
        billed = math.ceil(duration_ms + (init or 0.0))
        used = (
            min(math.ceil(self.max_memory_mib), self.function.memory_mb)
            if self.spec.enforce_memory
            else math.ceil(self.max_memory_mib)
        )
        parts = [
            f"REPORT RequestId: {invocation.request_id}",
            f"Duration: {duration_ms:.2f} ms",
            f"Billed Duration: {max(billed, 1)} ms",
            f"Memory Size: {self.function.memory_mb} MB",
            f"Max Memory Used: {used} MB",
        ]
        if init is not None:
            parts.append(f"Init Duration: {init:.2f} ms")
        if outcome.status == "timeout":
            parts.append("Status: timeout")
        elif outcome.error_type is not None and outcome.error_type.startswith(
            ("Runtime.", "Sandbox.", "Function.")
        ):
            parts += ["Status: error", f"Error Type: {outcome.error_type}"]
        return "\t".join(parts)

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

    # --- logs --------------------------------------------------------------------------------

    def _read_output(self, fd: int) -> None:
        data = self._read(fd)
        if not data:
            return
        *lines, self._partial = (self._partial + data).split(b"\n")
        for line in lines:
            self.log.write(line.decode(errors="replace"))

    def _read_telemetry(self, fd: int) -> None:
        self._frames += self._read(fd)
        while len(self._frames) >= _FRAME_HEADER.size:
            _, length, micros = _FRAME_HEADER.unpack_from(self._frames)
            end = _FRAME_HEADER.size + length
            if len(self._frames) < end:
                break
            message = self._frames[_FRAME_HEADER.size : end].decode(errors="replace")
            self._frames = self._frames[end:]
            self.log.write(message.rstrip("\n"), micros // 1000)

    def _read(self, fd: int) -> bytes:
        data, eof = _read_available(fd)
        if eof and fd in self._fds:  # stop watching: a closed pipe is readable forever
            asyncio.get_running_loop().remove_reader(fd)
        return data

    def _drain(self) -> None:
        """Read whatever the process has written so far (it wrote it before it answered)."""
        if self._poller is not None and len(self._fds) == 2:
            ready = {fd for fd, _ in self._poller.poll(0)}  # one syscall when there is nothing
            if self._fds[0] in ready:
                self._read_output(self._fds[0])
            if self._fds[1] in ready:
                self._read_telemetry(self._fds[1])
        if self.process is not None and self.process.returncode is not None and self._partial:
            self.log.write(self._partial.decode(errors="replace"))
            self._partial = b""


class InitFailure(Exception):
    def __init__(self, payload: bytes, error_type: str) -> None:
        super().__init__(error_type)
        self.payload = payload
        self.error_type = error_type


def _read_available(fd: int) -> tuple[bytes, bool]:
    """What a non-blocking pipe holds now, and whether it reached its end."""
    chunks = []
    eof = False
    while True:
        try:
            chunk = os.read(fd, 65536)
        except BlockingIOError:
            break
        except OSError:
            eof = True
            break
        if not chunk:
            eof = True
            break
        chunks.append(chunk)
        if len(chunk) < 65536:
            break
    return b"".join(chunks), eof


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

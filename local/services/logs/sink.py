"""Function logs: to CloudWatch Logs in the control plane, and to the ``make up`` console.

Each execution environment writes one log stream (``2026/11/26/[$LATEST]<environment id>``) in its
function's group (``/aws/lambda/<name>`` unless the function's LoggingConfig names another). Lines
are buffered per stream and shipped in batches (PutLogEvents) a few times a second, creating the
group and stream first when missing, as Lambda does. The console shows every line at once, one colour
per function, so ``make up`` reads like ``aws logs tail --follow`` of the whole stack. Lines in the
Embedded Metric Format become metrics (``local.services.cloudwatch.emf``), as CloudWatch Logs
extracts them from a Lambda function's log group.
"""

from __future__ import annotations

import asyncio
import sys
import time
import zlib
from dataclasses import dataclass, field
from typing import TextIO

from local.config import ConsoleLogs
from local.control_client import ControlPlaneClient, ControlPlaneError
from local.services.cloudwatch import emf
from local.services.cloudwatch.metrics import MetricPublisher

FLUSH_INTERVAL_S = 0.5
# PutLogEvents limits: 10,000 events and 1,048,576 bytes (each event counts 26 bytes extra).
MAX_BATCH_EVENTS = 10_000
MAX_BATCH_BYTES = 1_048_576 - 64 * 1024
MAX_EVENT_BYTES = 256 * 1024 - 26

_COLOURS = ("\033[36m", "\033[33m", "\033[35m", "\033[32m", "\033[34m", "\033[91m", "\033[96m", "\033[93m")
_RESET = "\033[0m"
PLATFORM_PREFIXES = ("START ", "END ", "REPORT ", "INIT_START ", "INIT_REPORT ")


@dataclass(eq=False)  # identity: streams go into a set
class LogStream:
    """The log of one execution environment."""

    sink: LogSink
    function_name: str
    group: str
    name: str
    events: list[tuple[int, str]] = field(default_factory=list)
    created: bool = False
    # Lines of the running invocation, kept only when the caller asked for LogType=Tail.
    capture: list[str] | None = None

    def write(self, message: str, timestamp_ms: int | None = None) -> None:
        if timestamp_ms is None:
            timestamp_ms = int(time.time() * 1000)
        # CloudWatch truncates; so do we. (UTF-8 is at most 4 bytes a character: short lines skip encoding.)
        if len(message) * 4 > MAX_EVENT_BYTES and len(message.encode()) > MAX_EVENT_BYTES:
            message = message.encode()[:MAX_EVENT_BYTES].decode(errors="ignore")
        self.events.append((timestamp_ms, message))
        if '"_aws"' in message and self.sink.metrics is not None:
            self.sink.extract_metrics(self.group, message)
        if self.capture is not None:
            self.capture.append(message)
        self.sink.console(self.function_name, message)
        self.sink.pending.add(self)


class LogSink:
    def __init__(
        self,
        client: ControlPlaneClient | None,
        console_mode: ConsoleLogs,
        out: TextIO = sys.stdout,
        metrics: MetricPublisher | None = None,
    ) -> None:
        self.client = client  # None: console only
        self.metrics = metrics  # EMF lines become metrics, as CloudWatch Logs extracts them
        self.console_mode = console_mode
        self.out = out
        self.colour = out.isatty()
        self.pending: set[LogStream] = set()
        self._groups: set[str] = set()
        self._emf_reported: set[str] = set()
        self._task: asyncio.Task[None] | None = None
        self._width = 12

    def extract_metrics(self, group: str, message: str) -> None:
        assert self.metrics is not None
        try:
            self.metrics.add_all(emf.extract(message))
        except emf.EmfError as error:  # CloudWatch keeps the line and extracts nothing
            if group not in self._emf_reported:
                self._emf_reported.add(group)
                print(f"logs: an EMF line in {group} was not extracted: {error}", file=sys.stderr)

    def stream(self, function_name: str, group: str, name: str) -> LogStream:
        self._width = max(self._width, len(function_name))
        return LogStream(self, function_name, group, name)

    def console(self, function_name: str, message: str) -> None:
        if self.console_mode == "none":
            return
        if self.console_mode == "function" and message.startswith(PLATFORM_PREFIXES):
            return
        label = function_name.rjust(self._width)
        if self.colour:
            colour = _COLOURS[zlib.crc32(function_name.encode()) % len(_COLOURS)]
            label = f"{colour}{label}{_RESET}"
        text = message.rstrip("\n").replace("\r", "\n")
        self.out.write("".join(f"{label} | {line}\n" for line in text.split("\n")))
        self.out.flush()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        await self.flush()

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(FLUSH_INTERVAL_S)
            await self.flush()

    async def flush(self) -> None:
        streams, self.pending = self.pending, set()
        for stream in streams:
            events, stream.events = stream.events, []
            if events and self.client is not None:
                try:
                    await self._ship(stream, events)
                except (ControlPlaneError, OSError) as error:
                    print(
                        f"logs: could not ship {len(events)} events to {stream.group}: {error}",
                        file=sys.stderr,
                    )

    async def _ship(self, stream: LogStream, events: list[tuple[int, str]]) -> None:
        assert self.client is not None
        if not stream.created:
            await self._ensure_group(stream.group)
            await self._ignore_exists(
                "CreateLogStream", {"logGroupName": stream.group, "logStreamName": stream.name}
            )
            stream.created = True
        events.sort(key=lambda event: event[0])  # CloudWatch wants each batch in time order
        batch: list[dict[str, object]] = []
        size = 0
        for timestamp, message in events:
            cost = len(message.encode()) + 26
            if batch and (len(batch) >= MAX_BATCH_EVENTS or size + cost > MAX_BATCH_BYTES):
                await self._put(stream, batch)
                batch, size = [], 0
            batch.append({"timestamp": timestamp, "message": message})
            size += cost
        if batch:
            await self._put(stream, batch)

    async def _put(self, stream: LogStream, batch: list[dict[str, object]]) -> None:
        assert self.client is not None
        await self.client.json_call(
            "logs",
            "Logs_20140328.PutLogEvents",
            {"logGroupName": stream.group, "logStreamName": stream.name, "logEvents": batch},
        )

    async def _ensure_group(self, group: str) -> None:
        if group not in self._groups:
            await self._ignore_exists("CreateLogGroup", {"logGroupName": group})
            self._groups.add(group)

    async def _ignore_exists(self, operation: str, body: dict[str, str]) -> None:
        assert self.client is not None
        try:
            await self.client.json_call("logs", f"Logs_20140328.{operation}", body)
        except ControlPlaneError as error:
            if "AlreadyExists" not in error.code and "AlreadyExists" not in error.message:
                raise

"""The FIS extension's part, played by the executor: faults from the configuration FIS wrote to S3.

On AWS the FIS extension layer (started through ``AWS_LAMBDA_EXEC_WRAPPER``) is a proxy in front of
the Runtime API. It polls ``AWS_FIS_CONFIGURATION_LOCATION`` in S3 and, for the share of invocations
an action names, delays the event's hand-over to the runtime (``aws:lambda:invocation-add-delay``),
answers with an error (``aws:lambda:invocation-error``) or with an HTTP response for an API Gateway
integration (``aws:lambda:invocation-http-integration-response``), instead of running the handler
or after it, as ``preventExecution`` says
(https://docs.aws.amazon.com/fis/latest/userguide/use-lambda-actions.html,
https://docs.aws.amazon.com/fis/latest/userguide/fis-actions-reference.html#aws-lambda-actions-reference).

Locally the executor reads the same objects (``local.services.fis.configuration``) and the execution
environment applies the fault at the same point, where the event is handed to the runtime
(``ExecutionEnvironment``). The extension polls S3 every so often (up to 60 s on AWS); here each
location is listed again when an invocation finds its copy older than ``poll_interval_s`` (default
1 s, ``LOCAL_FIS_POLL_INTERVAL``), in the background so that a busy function's invocations never
wait for S3. The first invocation for a location, and one that finds the copy older than two
intervals (nothing invoked the function meanwhile), waits for the read: the extension's poller runs
whether or not invocations come, so its copy is never that old.
"""

from __future__ import annotations

import asyncio
import json
import random
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import quote

from local.control_client import ControlPlaneClient
from local.services.fis.configuration import (
    ADD_DELAY,
    HTTP_RESPONSE,
    INVOCATION_ERROR,
    LOCATION_VARIABLE,
    FaultConfiguration,
    Location,
)
from local.services.lambda_.functions import FunctionVersion
from local.services.lambda_.invocation import Outcome

DEFAULT_POLL_INTERVAL_S = 1.0
_S3 = "{http://s3.amazonaws.com/doc/2006-03-01/}"


@dataclass(frozen=True)
class Fault:
    """What the extension does to one invocation."""

    delay_s: float = 0.0
    answer: Outcome | None = None  # what it answers instead of the function's own answer
    prevent_execution: bool = False  # answer without handing the event to the runtime
    actions: tuple[str, ...] = ()  # "<experiment id>/<action name>", for the function's log

    def describe(self) -> str:
        parts = [f"delay {self.delay_s * 1000:.0f} ms"] if self.delay_s else []
        if self.answer is not None:
            parts.append("answer instead of running" if self.prevent_execution else "answer after running")
        return f"AWS FIS fault injected ({', '.join(self.actions)}): {', '.join(parts)}"


def injected_error(configuration: FaultConfiguration) -> Outcome:
    """``aws:lambda:invocation-error``: the invocation fails (an Unhandled function error)."""
    message = f"Error injected by AWS FIS experiment {configuration.experiment_id}"
    body = json.dumps({"errorType": "FisInjectedError", "errorMessage": message}).encode()
    return Outcome(body, "FisInjectedError", "error")


def injected_http_response(configuration: FaultConfiguration) -> Outcome:
    """``aws:lambda:invocation-http-integration-response``: an API Gateway proxy response with the
    action's ``statusCode`` and ``contentTypeHeader``."""
    status = int(configuration.parameters.get("statusCode", "500"))
    content_type = configuration.parameters.get("contentTypeHeader", "application/json")
    body = json.dumps({"statusCode": status, "headers": {"Content-Type": content_type}, "body": ""}).encode()
    return Outcome(body)


@dataclass
class _Copy:
    """One location's configurations as last read."""

    fetched_at: float = 0.0
    configurations: list[FaultConfiguration] = field(default_factory=list)
    refreshing: asyncio.Task[None] | None = None


class FaultSource:
    def __init__(
        self,
        client: ControlPlaneClient,
        poll_interval_s: float = DEFAULT_POLL_INTERVAL_S,
        *,
        clock: Callable[[], float] = time.time,
        roll: Callable[[], float] = random.random,
    ) -> None:
        self.client = client
        self.poll_interval_s = poll_interval_s
        self.clock = clock
        self.roll = roll  # uniform in [0, 1): an action applies when below its share
        self._copies: dict[tuple[Location, str], _Copy] = {}
        self._warned: set[str] = set()

    async def fault_for(self, function: FunctionVersion, qualifier: str | None) -> Fault | None:
        """The fault for one invocation of ``function`` (by ``qualifier``), or None."""
        configured = function.environment.get(LOCATION_VARIABLE)
        if not configured:
            return None
        try:
            location = Location.parse(configured)
        except ValueError as error:
            self._warn(str(error))
            return None
        configurations = await self._configurations(location, function.name)
        now = self.clock()
        invoked = qualifier or "$LATEST"
        fault = Fault()
        for configuration in configurations:
            if not configuration.active(now):
                continue
            if configuration.qualifier not in (None, invoked, function.version):
                continue
            if self.roll() * 100 >= configuration.percentage:
                continue
            fault = _add(fault, configuration)
        return fault if fault.actions else None

    async def _configurations(self, location: Location, function_name: str) -> list[FaultConfiguration]:
        copy = self._copies.setdefault((location, function_name), _Copy())
        age = self.clock() - copy.fetched_at
        if age < self.poll_interval_s:
            return copy.configurations
        if copy.refreshing is None or copy.refreshing.done():
            copy.refreshing = asyncio.create_task(self._refresh(location, function_name, copy))
        if copy.fetched_at == 0.0 or age >= 2 * self.poll_interval_s:
            # Never read, or not read for two intervals (no invocation came since): the extension's
            # poller, which runs whether invocations come or not, would have read it again by now,
            # so an experiment stopped meanwhile must not fail this invocation.
            await asyncio.shield(copy.refreshing)
        return copy.configurations

    async def _refresh(self, location: Location, function_name: str, copy: _Copy) -> None:
        try:
            copy.configurations = await self._read(location, function_name)
        except Exception as error:  # S3 unreachable: keep the last copy, as the extension does
            self._warn(f"cannot read {location.bucket}/{location.folder(function_name)}: {error!r}")
        copy.fetched_at = self.clock()

    async def _read(self, location: Location, function_name: str) -> list[FaultConfiguration]:
        folder = location.folder(function_name)
        status, body = await self.client.rest_call(
            "s3", "GET", f"/{location.bucket}", query={"list-type": "2", "prefix": folder}
        )
        if status != 200:
            raise RuntimeError(f"ListObjectsV2 answered {status}: {body[:200]!r}")
        keys = [element.text or "" for element in ET.fromstring(body).iter(f"{_S3}Key")]  # noqa: S314 - our S3
        found = []
        for key in keys:
            status, raw = await self.client.rest_call("s3", "GET", f"/{location.bucket}/{quote(key)}")
            if status == 200:
                try:
                    found.append(FaultConfiguration.from_json(raw))
                except (ValueError, KeyError) as error:
                    self._warn(f"ignoring fault configuration {key}: {error!r}")
        return found

    def _warn(self, message: str) -> None:
        if message not in self._warned:
            self._warned.add(message)
            print(f"lambda: FIS: {message}", file=sys.stderr, flush=True)


def _add(fault: Fault, configuration: FaultConfiguration) -> Fault:
    """``fault`` with one more action: delays add up, the first answer wins."""
    name = f"{configuration.experiment_id}/{configuration.action_name}"
    delay, answer, prevent = fault.delay_s, fault.answer, fault.prevent_execution
    if configuration.action_id == ADD_DELAY:
        delay += float(configuration.parameters.get("startupDelayMilliseconds", "1000")) / 1000
    elif configuration.action_id in (INVOCATION_ERROR, HTTP_RESPONSE) and answer is None:
        answer = (injected_error if configuration.action_id == INVOCATION_ERROR else injected_http_response)(
            configuration
        )
        prevent = configuration.prevent_execution
    else:
        return fault
    return Fault(delay, answer, prevent, (*fault.actions, name))

"""Asynchronous invocations (``Event``), as Lambda runs them once it has answered 202.

Throttles are retried with backoff for up to the maximum event age, function errors twice (or the
configuration's MaximumRetryAttempts), then the event is dropped with a log line. A record of the
invocation goes to the on-success or on-failure destination when one is configured
(``local.services.lambda_.destinations``). Every attempt runs under the event's request id and trace.

https://docs.aws.amazon.com/lambda/latest/dg/invocation-async.html
"""

from __future__ import annotations

import asyncio
import sys
import time

from local.config import ExecutorSettings
from local.control_client import ControlPlaneClient, ControlPlaneError
from local.invoke import InvokeError, Invoker, InvokeRequest
from local.services.lambda_.background import BackgroundTasks
from local.services.lambda_.destinations import Condition, Destinations, EventConfig, invocation_record
from local.services.lambda_.functions import FunctionDirectory, FunctionVersion
from local.services.lambda_.invocation import Outcome
from local.services.lambda_.pools import EnvironmentPools
from local.services.lambda_.validation import AcceptedInvoke

THROTTLE_BACKOFF_S = (0.05, 5.0)  # first and largest delay between retries of a throttled event


class AsyncEvents:
    def __init__(
        self,
        client: ControlPlaneClient,
        directory: FunctionDirectory,
        pools: EnvironmentPools,
        *,
        settings: ExecutorSettings,
        invoker: Invoker,
        background: BackgroundTasks,
    ) -> None:
        self.client = client
        self.directory = directory
        self.pools = pools
        self.settings = settings
        self.invoker = invoker  # for Lambda destinations, invoked asynchronously in turn
        self.background = background
        self.destinations = Destinations(client, self._invoke_destination)

    def queue(
        self, name: str, qualifier: str | None, function: FunctionVersion, event: AcceptedInvoke
    ) -> None:
        """Run ``event`` in the background, retried and recorded as Lambda does."""
        self.background.spawn(self._run(name, qualifier, function, event))

    async def _run(
        self, name: str, qualifier: str | None, function: FunctionVersion, event: AcceptedInvoke
    ) -> None:
        config = await self._event_invoke_config(name, qualifier)
        received = time.monotonic()
        attempt = 0
        backoff = THROTTLE_BACKOFF_S[0]
        outcome: Outcome | None = None
        while not self.background.closed:
            try:
                function = await self.directory.resolve(name, qualifier)
                # Every attempt is one more pair of Lambda segments in the caller's trace.
                decision = self.pools.telemetry.decide(function, event.trace_header)
                outcome = await self.pools.run(
                    function, event.invocation(decision.header, trace=decision.trace)
                )
            except InvokeError as error:
                age = time.monotonic() - received
                if error.status_code == 429 and age + backoff < config.max_age_s:
                    await asyncio.sleep(backoff)
                    backoff = min(backoff * 2, THROTTLE_BACKOFF_S[1])
                    continue
                condition: Condition = "EventAgeExceeded" if error.status_code == 429 else "RetriesExhausted"
                self._drop(name, event.request_id, f"{error.error_type}: {error.message}")
                await self._record(
                    config.on_failure, event, function, outcome, condition=condition, invoke_count=attempt
                )
                return
            if not outcome.failed:
                runs = attempt + 1
                await self._record(
                    config.on_success, event, function, outcome, condition="Success", invoke_count=runs
                )
                return
            if attempt >= config.retries:
                self._drop(
                    name, event.request_id, f"failed {attempt + 1} times, last error {outcome.error_type}"
                )
                await self._record(
                    config.on_failure,
                    event,
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
        event: AcceptedInvoke,
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
            request_id=event.request_id,
            invoked_arn=event.invoked_arn,
            condition=condition,
            invoke_count=invoke_count,
            payload=event.payload,
            outcome=outcome,
            executed_version=function.version,
        )
        await self.destinations.send(destination, record)

    async def _invoke_destination(self, function: str, payload: bytes) -> None:
        """A Lambda destination: the record invokes it asynchronously, as Lambda does."""
        try:
            await self.invoker.invoke(InvokeRequest(function, payload, invocation_type="Event"))
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

    @staticmethod
    def _drop(name: str, request_id: str, reason: str) -> None:
        # Beside the on-failure destination (if any), the console is where a dropped event shows up.
        print(
            f"lambda: dropped asynchronous event {request_id} for {name}: {reason}",
            file=sys.stderr,
            flush=True,
        )

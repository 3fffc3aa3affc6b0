"""One FIS experiment, run: its record (what GetExperiment answers) and its lifecycle.

An experiment goes ``pending`` -> ``initiating`` (targets resolved, actions checked) -> ``running``
(fault configurations written for the Lambda extension) -> ``completed`` when every action's
``duration`` is over; ``stopping`` -> ``stopped`` when StopExperiment is called or a stop condition's
CloudWatch alarm is in ALARM; ``failed`` when it cannot start (a target that selects nothing, an
action this FIS cannot run, a function without the extension's configuration location). Each action
has a state of its own; the fault configurations are deleted when an action ends, however it ends.
https://docs.aws.amazon.com/fis/latest/userguide/experiment-lifecycle.html (states),
https://docs.aws.amazon.com/fis/latest/userguide/stop-conditions.html (stop conditions).

The calls it makes (Lambda, S3, CloudWatch) are injected (``Calls``), so the lifecycle is tested
with fakes and a clock; ``local.services.fis.service`` passes the control plane's.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from local.services.fis import targets as target_resolution
from local.services.fis.configuration import LAMBDA_ACTIONS, LOCATION_VARIABLE, FaultConfiguration, Location
from local.services.fis.targets import ResolvedFunction, TargetError

# FIS's reasons for each state (its console and GetExperiment show these with the state).
REASONS = {
    "pending": "Experiment is pending.",
    "initiating": "Experiment is initiating.",
    "running": "Experiment is running.",
    "completed": "Experiment completed.",
    "stopping": "Experiment is stopping.",
    "stopped": "Experiment stopped by user.",
}
TERMINAL = frozenset({"completed", "stopped", "failed"})
_DURATION = re.compile(r"^PT(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?$")


def duration_s(text: str) -> float:
    """An ISO 8601 duration as FIS takes it (``PT5M``, ``PT30S``, ``PT1H30M``), in seconds."""
    match = _DURATION.match(text or "")
    if match is None or not any(match.groups()):
        raise ValueError(f"duration {text!r}: expected an ISO 8601 duration such as PT5M or PT30S")
    hours, minutes, seconds = (float(group or 0) for group in match.groups())
    return hours * 3600 + minutes * 60 + seconds


@dataclass
class Calls:
    """What an experiment needs from the control plane."""

    list_functions: target_resolution.ListFunctions
    list_tags: target_resolution.ListTags
    get_configuration: target_resolution.GetConfiguration
    put_object: Callable[[str, str, bytes], Awaitable[None]]  # bucket, key, body
    delete_object: Callable[[str, str], Awaitable[None]]
    alarm_states: Callable[[list[str]], Awaitable[dict[str, str]]]  # alarm ARNs -> state value


@dataclass
class Experiment:
    id: str
    arn: str
    template_id: str
    role_arn: str
    targets: dict[str, Any]
    actions: dict[str, Any]
    stop_conditions: list[dict[str, Any]]
    tags: dict[str, str]
    options: dict[str, Any]
    creation_time: float
    status: str = "pending"
    reason: str = REASONS["pending"]
    start_time: float | None = None
    end_time: float | None = None
    resolved: dict[str, list[ResolvedFunction]] = field(default_factory=dict)
    stop_requested: asyncio.Event = field(default_factory=asyncio.Event)
    reason_stopped: str = REASONS["stopped"]  # the reason ``stopped`` will carry
    _written: dict[str, list[tuple[Location, str]]] = field(default_factory=dict)  # action -> objects

    # --- what the API answers -------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        document: dict[str, Any] = {
            "id": self.id,
            "arn": self.arn,
            "experimentTemplateId": self.template_id,
            "roleArn": self.role_arn,
            "state": {"status": self.status, "reason": self.reason},
            "targets": self.targets,
            "actions": self.actions,
            "stopConditions": self.stop_conditions,
            "creationTime": self.creation_time,
            "tags": self.tags,
            "experimentOptions": self.options,
        }
        if self.start_time is not None:
            document["startTime"] = self.start_time
        if self.end_time is not None:
            document["endTime"] = self.end_time
        return document

    def to_summary(self) -> dict[str, Any]:
        return {
            key: value
            for key, value in self.to_dict().items()
            if key
            in {"id", "arn", "experimentTemplateId", "state", "creationTime", "tags", "experimentOptions"}
        }

    def resolved_targets(self) -> list[dict[str, Any]]:
        return [
            {
                "resourceType": target_resolution.LAMBDA_FUNCTION,
                "targetName": name,
                "targetInformation": {"arn": function.arn},
            }
            for name, functions in self.resolved.items()
            for function in functions
        ]

    # --- lifecycle ------------------------------------------------------------------------------

    def _set(self, status: str, reason: str | None = None, now: float | None = None) -> None:
        self.status = status
        self.reason = reason or REASONS.get(status, status)
        if status in TERMINAL:
            self.end_time = now if now is not None else time.time()

    def _set_actions(self, status: str, reason: str, names: list[str] | None = None) -> None:
        now = time.time()
        for name in names if names is not None else list(self.actions):
            action = self.actions[name]
            if action.get("state", {}).get("status") in TERMINAL:
                continue
            action["state"] = {"status": status, "reason": reason}
            if status == "running":
                action["startTime"] = now
            elif status in TERMINAL:
                action["endTime"] = now

    async def run(
        self,
        calls: Calls,
        *,
        stop_check_interval_s: float = 1.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """The whole lifecycle, from ``pending`` to a terminal state."""
        self._set("initiating")
        self._set_actions("pending", "Action is pending.")
        try:
            durations = await self._initiate(calls)
        except (TargetError, ValueError) as error:
            self._set_actions("cancelled", "Experiment failed before this action started.")
            self._set("failed", str(error), clock())
            return
        if self.stop_requested.is_set():  # stopped while initiating: no fault was injected
            self._set_actions("cancelled", "Experiment was stopped before this action started.")
            self._set("stopped", REASONS["stopped"], clock())
            return
        self.start_time = clock()
        ends = {name: self.start_time + seconds for name, seconds in durations.items()}
        try:
            await self._write_configurations(calls, ends)
            if self.status != "stopping":
                self._set("running")
                self._set_actions("running", "Action is running.")
            await self._until_done(calls, ends, stop_check_interval_s, clock)
        finally:
            await self._delete_configurations(calls, list(self._written))
        if self.status == "stopping":
            self._set("stopped", self.reason_stopped, clock())
        elif self.status == "running":
            self._set("completed", None, clock())

    def request_stop(self) -> None:
        """StopExperiment: a running experiment answers ``stopping`` at once, as FIS does."""
        if self.status in TERMINAL:
            return
        self.stop_requested.set()
        if self.status == "running":
            self._stop("Experiment stopped by user.")

    async def _initiate(self, calls: Calls) -> dict[str, float]:
        """Resolve every target the actions use and check the actions; their durations (s)."""
        durations: dict[str, float] = {}
        skip_empty = self.options.get("emptyTargetResolutionMode") == "skip"
        for name, action in self.actions.items():
            if action.get("actionId") not in LAMBDA_ACTIONS:
                raise ValueError(
                    f"Action {name}: {action.get('actionId')} is not supported by the local FIS "
                    f"(it runs {', '.join(sorted(LAMBDA_ACTIONS))})"
                )
            durations[name] = duration_s(str((action.get("parameters") or {}).get("duration", "")))
            target_name = (action.get("targets") or {}).get("Functions")
            if not target_name or target_name not in self.targets:
                raise TargetError(f"Action {name}: its Functions target {target_name!r} is not defined")
            if target_name not in self.resolved:
                functions = await target_resolution.resolve(
                    self.targets[target_name],
                    list_functions=calls.list_functions,
                    list_tags=calls.list_tags,
                    get_configuration=calls.get_configuration,
                )
                if not functions and not skip_empty:
                    raise TargetError(
                        f"Target resolution failed: no resources found for target {target_name}"
                    )
                for function in functions:
                    _location_of(function)  # fails now rather than mid-experiment
                self.resolved[target_name] = functions
        return durations

    async def _write_configurations(self, calls: Calls, ends: dict[str, float]) -> None:
        assert self.start_time is not None
        for name, action in self.actions.items():
            written = self._written.setdefault(name, [])
            for function in self.resolved[action["targets"]["Functions"]]:
                location = _location_of(function)
                configuration = FaultConfiguration(
                    experiment_id=self.id,
                    action_name=name,
                    action_id=action["actionId"],
                    function_name=function.name,
                    qualifier=function.qualifier,
                    parameters={k: str(v) for k, v in (action.get("parameters") or {}).items()},
                    start_time=self.start_time,
                    end_time=ends[name],
                )
                key = configuration.key(location)
                await calls.put_object(location.bucket, key, configuration.to_json())
                written.append((location, key))

    async def _delete_configurations(self, calls: Calls, names: list[str]) -> None:
        for name in names:
            for location, key in self._written.pop(name, []):
                # One left behind is harmless: its endTime makes the extension ignore it.
                with contextlib.suppress(Exception):
                    await calls.delete_object(location.bucket, key)

    async def _until_done(
        self, calls: Calls, ends: dict[str, float], interval_s: float, clock: Callable[[], float]
    ) -> None:
        alarms = [c["value"] for c in self.stop_conditions if c.get("source") == "aws:cloudwatch:alarm"]
        pending = dict(ends)
        while pending:
            now = clock()
            finished = [name for name, end in pending.items() if end <= now]
            if finished:
                await self._delete_configurations(calls, finished)
                self._set_actions("completed", "Action completed.", finished)
                for name in finished:
                    del pending[name]
                continue
            if self.stop_requested.is_set():
                if self.status != "stopping":
                    self._stop("Experiment stopped by user.")
                return
            if alarms:
                states = await calls.alarm_states(alarms)
                firing = [arn for arn in alarms if states.get(arn) == "ALARM"]
                if firing:
                    self._stop(f"Experiment stopped by stop condition: alarm {firing[0]} is in ALARM.")
                    return
            wait = min(interval_s, max(0.0, min(pending.values()) - clock()))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stop_requested.wait(), timeout=wait)

    def _stop(self, reason: str) -> None:
        self._set("stopping")
        self.reason_stopped = reason
        self._set_actions("stopped", "Action was stopped.")


def _location_of(function: ResolvedFunction) -> Location:
    variables = (function.configuration.get("Environment") or {}).get("Variables") or {}
    value = variables.get(LOCATION_VARIABLE)
    if not value:
        raise TargetError(
            f"Function {function.name} has no {LOCATION_VARIABLE}: attach the FIS extension "
            "(terraform/modules/fis_extension) before targeting it"
        )
    return Location.parse(value)

"""EventBridge schedules: rules with a ScheduleExpression (and EventBridge Scheduler schedules) read
from the control plane fire their Lambda targets through the ``Invoker``, asynchronously, as AWS does.

A rule's target receives the "Scheduled Event" EventBridge sends (or the target's ``Input`` /
``InputPath`` / ``InputTransformer`` result); a Scheduler schedule's target receives its ``Input``.
Rules are re-read every ``refresh_s`` seconds, so ``terraform apply`` or ``aws events disable-rule``
take effect without a restart. ``fire(name)`` runs one now (tests, and the admin endpoint
``POST /_local/schedules/{name}/fire`` mounted on the gateway); ``GET /_local/schedules`` lists them.
https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-run-lambda-schedule.html
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from local.aws_clients import control_plane_client
from local.background import BackgroundTask
from local.invoke import InvokeError, Invoker, InvokeRequest
from local.services.apigateway import AdminRoute
from local.services.events.schedule_expressions import Cron, Rate, Schedule, ScheduleExpressionError, parse

log = logging.getLogger("local.services.events.schedules")

_FUNCTION_ARN = re.compile(
    r"^arn:[^:]+:lambda:[^:]*:[^:]*:function:(?P<name>[^:]+)(?::(?P<qualifier>[^:]+))?$"
)
_TEMPLATE_PLACEHOLDER = re.compile(r"<([A-Za-z0-9_.-]+)>")


@dataclass(frozen=True)
class Target:
    id: str
    arn: str
    input: str | None = None  # constant JSON text
    input_path: str | None = None
    input_transformer: dict[str, Any] | None = None

    def payload(self, event: dict[str, Any]) -> bytes:
        if self.input is not None:
            return self.input.encode()
        if self.input_path:
            return json.dumps(_json_path(event, self.input_path)).encode()
        if self.input_transformer:
            return _transform(event, self.input_transformer).encode()
        return json.dumps(event).encode()


@dataclass(frozen=True)
class ScheduledRule:
    name: str
    arn: str
    expression: str
    schedule: Schedule
    targets: tuple[Target, ...]
    kind: str = "rule"  # "rule" (EventBridge) or "schedule" (EventBridge Scheduler)


@dataclass(frozen=True)
class Firing:
    rule: str
    target: str
    time: str
    outcome: str  # "accepted (202)" or the error


def scheduled_event(rule_arn: str, account_id: str, region: str, moment: datetime) -> dict[str, Any]:
    """The event EventBridge sends a rule's targets on each tick."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": account_id,
        "time": moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": [rule_arn],
        "detail": {},
    }


def _json_path(document: Any, path: str) -> Any:
    """The ``$.a.b`` subset of JSONPath that InputPath uses in practice."""
    node = document
    for part in [p for p in path.removeprefix("$").split(".") if p]:
        node = node.get(part) if isinstance(node, dict) else None
    return node


def _transform(event: dict[str, Any], transformer: dict[str, Any]) -> str:
    values = {
        name: _json_path(event, path) for name, path in (transformer.get("InputPathsMap") or {}).items()
    }
    template = transformer.get("InputTemplate", "")

    def substitute(match: re.Match[str]) -> str:
        if match[1] not in values:
            return match[0]
        value = values[match[1]]
        return value if isinstance(value, str) else json.dumps(value)

    return _TEMPLATE_PLACEHOLDER.sub(substitute, template)


def function_of(arn: str) -> tuple[str, str | None]:
    match = _FUNCTION_ARN.match(arn)
    if not match:
        raise ValueError(f"not a Lambda function ARN: {arn}")
    return match["name"], match["qualifier"]


def read_schedules(aws_endpoint_url: str, region: str) -> list[ScheduledRule]:
    """Enabled scheduled rules (default bus) and schedules with their Lambda targets (blocking)."""
    found = []
    events = control_plane_client("events", aws_endpoint_url, region)
    for rule in _paged(events.list_rules, "Rules"):
        if not rule.get("ScheduleExpression") or rule.get("State") != "ENABLED":
            continue
        targets = tuple(
            Target(
                id=t["Id"],
                arn=t["Arn"],
                input=t.get("Input"),
                input_path=t.get("InputPath"),
                input_transformer=t.get("InputTransformer"),
            )
            for t in _paged(events.list_targets_by_rule, "Targets", Rule=rule["Name"])
            if ":lambda:" in t["Arn"]
        )
        rule_found = _scheduled(rule["Name"], rule["Arn"], rule["ScheduleExpression"], targets, "rule")
        if rule_found:
            found.append(rule_found)
    scheduler = control_plane_client("scheduler", aws_endpoint_url, region)
    for summary in _paged(scheduler.list_schedules, "Schedules"):
        if summary.get("State") != "ENABLED":
            continue
        detail = scheduler.get_schedule(Name=summary["Name"], GroupName=summary.get("GroupName", "default"))
        target = detail.get("Target") or {}
        if ":lambda:" not in target.get("Arn", ""):
            continue
        targets = (Target(id="scheduler", arn=target["Arn"], input=target.get("Input") or "{}"),)
        schedule_found = _scheduled(
            detail["Name"], detail["Arn"], detail["ScheduleExpression"], targets, "schedule"
        )
        if schedule_found:
            found.append(schedule_found)
    return found


def _scheduled(
    name: str, arn: str, expression: str, targets: tuple[Target, ...], kind: str
) -> ScheduledRule | None:
    try:
        return ScheduledRule(name, arn, expression, parse(expression), targets, kind)
    except ScheduleExpressionError as error:
        log.warning("%s %s: %s; it will not fire", kind, name, error)
        return None


def _paged(operation: Callable[..., dict[str, Any]], key: str, **kwargs: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    token = None
    while True:
        page = operation(**kwargs, **({"NextToken": token} if token else {}))
        items.extend(page.get(key, []))
        token = page.get("NextToken")
        if not token:
            return items


@dataclass
class _Entry:
    rule: ScheduledRule
    next_time: datetime
    origin: datetime = field(default_factory=lambda: datetime.now(UTC))


class Schedules:
    def __init__(
        self,
        invoker: Invoker,
        read: Callable[[], list[ScheduledRule]],
        *,
        account_id: str,
        region: str,
        refresh_s: float = 30.0,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._invoker = invoker
        self._read = read
        self._account_id = account_id
        self._region = region
        self._refresh_s = refresh_s
        self._clock = clock
        self._entries: dict[str, _Entry] = {}
        self._loop = BackgroundTask(self._run, "schedules")
        self._wake = asyncio.Event()
        self.history: deque[Firing] = deque(maxlen=200)

    @property
    def rules(self) -> list[ScheduledRule]:
        return [entry.rule for entry in self._entries.values()]

    async def start(self) -> None:
        await self.reload()
        self._loop.start()

    async def stop(self) -> None:
        await self._loop.stop()

    async def reload(self) -> None:
        """Re-read the control plane; rules that did not change keep their next fire time."""
        rules = await asyncio.to_thread(self._read)
        now = self._clock()
        entries = {}
        for rule in rules:
            previous = self._entries.get(rule.arn)
            if previous is not None and previous.rule.expression == rule.expression:
                entries[rule.arn] = _Entry(rule, previous.next_time, previous.origin)
            else:
                entries[rule.arn] = _Entry(rule, _next(rule.schedule, now, now), now)
        self._entries = entries
        self._wake.set()

    async def fire(self, name: str) -> list[Firing]:
        """Fire the rule (or schedule) named ``name`` now, as if its time had come."""
        for entry in self._entries.values():
            if entry.rule.name == name:
                return await self._fire(entry.rule, self._clock())
        raise KeyError(name)

    async def _run(self) -> None:
        last_refresh = self._clock()
        while True:
            now = self._clock()
            if (now - last_refresh).total_seconds() >= self._refresh_s:
                try:
                    await self.reload()
                except Exception as error:  # the control plane may be restarting; keep the old rules
                    log.warning("could not re-read schedules: %s", error)
                last_refresh = now
            for entry in list(self._entries.values()):
                if entry.next_time <= now:
                    entry.next_time = _next(entry.rule.schedule, now, entry.origin)
                    await self._fire(entry.rule, now)
            upcoming = min((e.next_time for e in self._entries.values()), default=None)
            wait = self._refresh_s
            if upcoming is not None:
                wait = min(wait, max(0.0, (upcoming - self._clock()).total_seconds()))
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=wait)

    async def _fire(self, rule: ScheduledRule, moment: datetime) -> list[Firing]:
        event = scheduled_event(rule.arn, self._account_id, self._region, moment)
        firings = []
        for target in rule.targets:
            name, qualifier = function_of(target.arn)
            try:
                result = await self._invoker.invoke(
                    InvokeRequest(name, target.payload(event), qualifier=qualifier, invocation_type="Event")
                )
                outcome = f"accepted ({result.status_code})"
            except InvokeError as error:
                # EventBridge retries throttled and failed deliveries itself (24 h by default); the
                # executor queues throttled async invokes, so a refusal here is worth a warning.
                outcome = f"{error.status_code} {error.error_type}: {error.message}"
                log.warning("%s %s -> %s: %s", rule.kind, rule.name, target.arn, outcome)
            firing = Firing(rule.name, target.arn, event["time"], outcome)
            log.info("%s %s fired %s: %s", rule.kind, rule.name, target.arn, outcome)
            self.history.append(firing)
            firings.append(firing)
        return firings

    # --- admin endpoints (mounted on the gateway under /_local/) --------------------------------

    def admin_routes(self) -> list[AdminRoute]:
        return [
            AdminRoute("GET", "schedules", self._describe),
            AdminRoute("POST", "schedules/{name}/fire", self._fire_now),
        ]

    async def _describe(self, request: web.Request) -> web.Response:
        return web.json_response(
            {
                "schedules": [
                    {
                        "name": e.rule.name,
                        "kind": e.rule.kind,
                        "arn": e.rule.arn,
                        "expression": e.rule.expression,
                        "next": e.next_time.isoformat(),
                        "targets": [t.arn for t in e.rule.targets],
                    }
                    for e in self._entries.values()
                ],
                "history": [vars(f) for f in self.history],
            }
        )

    async def _fire_now(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        try:
            firings = await self.fire(name)
        except KeyError:
            return web.json_response({"message": f"no enabled schedule named {name!r}"}, status=404)
        return web.json_response({"fired": [vars(f) for f in firings]})


def _next(schedule: Schedule, now: datetime, origin: datetime) -> datetime:
    if isinstance(schedule, Rate):
        return schedule.next_after(now, origin)
    assert isinstance(schedule, Cron)
    return schedule.next_after(now)


async def start(
    invoker: Invoker,
    aws_endpoint_url: str,
    *,
    region: str = "us-east-1",
    account_id: str = "123456789012",
    refresh_s: float = 30.0,
) -> Schedules:
    """Read the schedules from the control plane and fire them on time until ``stop()``."""
    schedules = Schedules(
        invoker,
        lambda: read_schedules(aws_endpoint_url, region),
        account_id=account_id,
        region=region,
        refresh_s=refresh_s,
    )
    await schedules.start()
    for rule in schedules.rules:
        log.info(
            "%s %s (%s) -> %s", rule.kind, rule.name, rule.expression, ", ".join(t.arn for t in rule.targets)
        )
    return schedules

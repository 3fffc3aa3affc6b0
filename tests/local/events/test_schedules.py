"""EventBridge schedules read from moto fire their Lambda targets through the Invoker."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from local.invoke import InvokeError, InvokeResult
from local.services import apigateway
from local.services.events import schedules
from local.services.events.schedules import Schedules, read_schedules
from tests.local.gateway_support import (
    ACCOUNT,
    REGION,
    FakeInvoker,
    LoopThread,
    MotoServer,
    http,
    loop_thread,
    moto_server,
)

HOUSEKEEPING_LIVE = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:housekeeping:live"


def _deploy(server: MotoServer) -> None:
    events = server.client("events")
    events.put_rule(Name="housekeeping", ScheduleExpression="rate(1 hour)", State="ENABLED")
    events.put_targets(Rule="housekeeping", Targets=[{"Id": "function", "Arn": HOUSEKEEPING_LIVE}])
    events.put_rule(Name="nightly-report", ScheduleExpression="cron(0 3 * * ? *)", State="ENABLED")
    events.put_targets(
        Rule="nightly-report",
        Targets=[
            {
                "Id": "constant",
                "Arn": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:report",
                "Input": '{"kind": "daily"}',
            },
            {
                "Id": "transformed",
                "Arn": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:report:blue",
                "InputTransformer": {
                    "InputPathsMap": {"when": "$.time", "rule": "$.resources"},
                    "InputTemplate": '{"at": "<when>", "rules": <rule>}',
                },
            },
        ],
    )
    events.put_rule(Name="paused", ScheduleExpression="rate(1 minute)", State="DISABLED")
    events.put_targets(Rule="paused", Targets=[{"Id": "f", "Arn": HOUSEKEEPING_LIVE}])
    events.put_rule(Name="on-upload", EventPattern='{"source": ["aws.s3"]}', State="ENABLED")
    server.client("scheduler").create_schedule(
        Name="weekly",
        ScheduleExpression="cron(0 6 ? * MON *)",
        FlexibleTimeWindow={"Mode": "OFF"},
        Target={
            "Arn": HOUSEKEEPING_LIVE,
            "RoleArn": f"arn:aws:iam::{ACCOUNT}:role/scheduler",
            "Input": '{"deep": true}',
        },
    )


@pytest.fixture(scope="module")
def moto() -> Iterator[MotoServer]:
    for server in moto_server():
        _deploy(server)
        yield server


@pytest.fixture(scope="module")
def loop() -> Iterator[LoopThread]:
    yield from loop_thread()


def _accepting(function: str, event: dict[str, Any], qualifier: str | None) -> InvokeResult:
    return InvokeResult(202)


def test_only_enabled_scheduled_rules_and_schedules_with_lambda_targets_are_read(moto: MotoServer) -> None:
    found = {rule.name: rule for rule in read_schedules(moto.url, REGION)}

    assert set(found) == {"housekeeping", "nightly-report", "weekly"}
    assert found["housekeeping"].targets[0].arn == HOUSEKEEPING_LIVE
    assert found["weekly"].kind == "schedule"


def test_firing_a_rule_sends_the_scheduled_event_asynchronously(moto: MotoServer, loop: LoopThread) -> None:
    invoker = FakeInvoker(_accepting)
    started = loop.run(schedules.start(invoker, moto.url, region=REGION, account_id=ACCOUNT))
    try:
        firings = loop.run(started.fire("housekeeping"))
    finally:
        loop.run(started.stop())

    assert [f.outcome for f in firings] == ["accepted (202)"]
    function, qualifier, invocation_type, event = invoker.calls[0]
    assert (function, qualifier, invocation_type) == ("housekeeping", "live", "Event")
    assert event["detail-type"] == "Scheduled Event"
    assert event["source"] == "aws.events"
    assert event["account"] == ACCOUNT
    assert event["region"] == REGION
    assert event["resources"] == [f"arn:aws:events:{REGION}:{ACCOUNT}:rule/housekeeping"]
    assert event["detail"] == {}
    assert datetime.strptime(event["time"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC) <= datetime.now(UTC)


def test_target_input_and_input_transformer_replace_the_event(moto: MotoServer, loop: LoopThread) -> None:
    invoker = FakeInvoker(_accepting)
    started = loop.run(schedules.start(invoker, moto.url, region=REGION, account_id=ACCOUNT))
    try:
        loop.run(started.fire("nightly-report"))
    finally:
        loop.run(started.stop())

    by_qualifier = {call[1]: call[3] for call in invoker.calls}
    assert by_qualifier[None] == {"kind": "daily"}
    assert by_qualifier["blue"]["rules"] == [f"arn:aws:events:{REGION}:{ACCOUNT}:rule/nightly-report"]
    assert by_qualifier["blue"]["at"].endswith("Z")


def test_a_refused_invoke_is_recorded_not_raised(moto: MotoServer, loop: LoopThread) -> None:
    def refuse(function: str, event: dict[str, Any], qualifier: str | None) -> InvokeResult:
        raise InvokeError(404, "ResourceNotFoundException", "Function not found")

    started = loop.run(schedules.start(FakeInvoker(refuse), moto.url, region=REGION, account_id=ACCOUNT))
    try:
        firings = loop.run(started.fire("weekly"))
    finally:
        loop.run(started.stop())

    assert firings[0].outcome.startswith("404 ResourceNotFoundException")


def test_rules_fire_on_time(loop: LoopThread) -> None:
    """A fake clock moves past the next tick; the runner fires without anyone asking."""
    now = [datetime(2026, 11, 26, 8, 0, tzinfo=UTC)]
    rule = schedules.ScheduledRule(
        "every-minute",
        f"arn:aws:events:{REGION}:{ACCOUNT}:rule/every-minute",
        "rate(1 minute)",
        schedules.parse("rate(1 minute)"),
        (schedules.Target("f", HOUSEKEEPING_LIVE),),
    )
    invoker = FakeInvoker(_accepting)
    runner = Schedules(invoker, lambda: [rule], account_id=ACCOUNT, region=REGION, clock=lambda: now[0])
    loop.run(runner.start())
    try:
        assert invoker.calls == []
        now[0] += timedelta(minutes=1, seconds=1)
        loop.loop.call_soon_threadsafe(runner._wake.set)
        deadline = time.monotonic() + 10
        while not invoker.calls and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        loop.run(runner.stop())

    assert len(invoker.calls) == 1
    assert invoker.calls[0][3]["time"] == "2026-11-26T08:01:01Z"


def test_admin_endpoints_list_and_fire_schedules_on_the_gateway(moto: MotoServer, loop: LoopThread) -> None:
    invoker = FakeInvoker(_accepting)
    started = loop.run(schedules.start(invoker, moto.url, region=REGION, account_id=ACCOUNT))
    gateway = loop.run(apigateway.start(invoker, moto.url, port=0, admin_routes=started.admin_routes()))
    try:
        listed = http(loop, "GET", f"{gateway.url}/_local/schedules").json()
        fired = http(loop, "POST", f"{gateway.url}/_local/schedules/housekeeping/fire")
        unknown = http(loop, "POST", f"{gateway.url}/_local/schedules/nope/fire")
    finally:
        loop.run(gateway.stop())
        loop.run(started.stop())

    assert {s["name"] for s in listed["schedules"]} == {"housekeeping", "nightly-report", "weekly"}
    assert fired.status == 200
    assert fired.json()["fired"][0]["target"] == HOUSEKEEPING_LIVE
    assert unknown.status == 404
    assert json.loads(unknown.body)["message"] == "no enabled schedule named 'nope'"


def test_stop_leaves_no_task_behind(moto: MotoServer, loop: LoopThread) -> None:
    started = loop.run(schedules.start(FakeInvoker(_accepting), moto.url, region=REGION, account_id=ACCOUNT))
    loop.run(started.stop())

    async def names() -> list[str]:
        return [task.get_name() for task in asyncio.all_tasks()]

    assert "schedules" not in loop.run(names())

"""An experiment's lifecycle (``local.services.fis.experiments``) with fake control-plane calls:
states and reasons as FIS reports them, fault configurations written for their duration and deleted
however the experiment ends, stop conditions on CloudWatch alarms."""

from __future__ import annotations

import asyncio
import functools
import json
from collections.abc import Callable, Coroutine
from typing import Any

import pytest

from local.services.fis.configuration import FaultConfiguration
from local.services.fis.experiments import Calls, Experiment, duration_s

FUNCTION = "arn:aws:lambda:us-east-1:123456789012:function:api"
ALARM = "arn:aws:cloudwatch:us-east-1:123456789012:alarm:stop"
LOCATION = "arn:aws:s3:::fis-bucket/FisConfigs/"


def in_a_loop(test: Callable[..., Coroutine[Any, Any, None]]) -> Callable[..., None]:
    """Run an async test on a loop of its own (the suite has no asyncio plugin)."""

    @functools.wraps(test)
    def run(*args: Any, **kwargs: Any) -> None:
        asyncio.run(test(*args, **kwargs))

    return run


class FakeCloud:
    def __init__(self, *, location: str | None = LOCATION) -> None:
        self.objects: dict[tuple[str, str], bytes] = {}
        self.ever_written: list[str] = []
        self.alarm = "OK"
        self.variables = {"AWS_FIS_CONFIGURATION_LOCATION": location} if location else {}

    def calls(self) -> Calls:
        async def list_functions() -> list[dict[str, Any]]:
            return [
                {"FunctionArn": FUNCTION, "FunctionName": "api", "Environment": {"Variables": self.variables}}
            ]

        async def list_tags(arn: str) -> dict[str, str]:
            return {"chaos": "yes"}

        async def get_configuration(name: str, qualifier: str | None) -> dict[str, Any] | None:
            return (
                {"FunctionName": name, "Environment": {"Variables": self.variables}}
                if name == "api"
                else None
            )

        async def put_object(bucket: str, key: str, body: bytes) -> None:
            self.objects[(bucket, key)] = body
            self.ever_written.append(key)

        async def delete_object(bucket: str, key: str) -> None:
            self.objects.pop((bucket, key), None)

        async def alarm_states(arns: list[str]) -> dict[str, str]:
            return {ALARM: self.alarm}

        return Calls(list_functions, list_tags, get_configuration, put_object, delete_object, alarm_states)


def _experiment(
    duration: str = "PT0.3S", *, target: dict[str, Any] | None = None, action: str = ""
) -> Experiment:
    return Experiment(
        id="EXP1",
        arn="arn:aws:fis:us-east-1:123456789012:experiment/EXP1",
        template_id="T1",
        role_arn="arn:aws:iam::123456789012:role/fis",
        targets={
            "Api": target
            or {"resourceType": "aws:lambda:function", "resourceArns": [FUNCTION], "selectionMode": "ALL"}
        },
        actions={
            "Errors": {
                "actionId": action or "aws:lambda:invocation-error",
                "parameters": {
                    "duration": duration,
                    "invocationPercentage": "30",
                    "preventExecution": "true",
                },
                "targets": {"Functions": "Api"},
            }
        },
        stop_conditions=[{"source": "aws:cloudwatch:alarm", "value": ALARM}],
        tags={},
        options={"emptyTargetResolutionMode": "fail"},
        creation_time=0.0,
    )


async def _until(condition: Any, timeout_s: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout_s
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "condition not met in time"
        await asyncio.sleep(0.01)


@in_a_loop
async def test_an_experiment_runs_its_duration_with_the_configuration_written_then_completes() -> None:
    cloud, experiment = FakeCloud(), _experiment("PT0.3S")

    # When it runs
    running = asyncio.create_task(experiment.run(cloud.calls(), stop_check_interval_s=0.05))
    await _until(lambda: experiment.status == "running")

    # Then while running, the function's folder holds the action's configuration
    ((bucket, key),) = cloud.objects
    assert (bucket, key) == ("fis-bucket", "FisConfigs/api/EXP1-Errors.json")
    written = FaultConfiguration.from_json(cloud.objects[(bucket, key)])
    assert (written.action_id, written.percentage, written.prevent_execution) == (
        "aws:lambda:invocation-error",
        30,
        True,
    )
    assert written.end_time - written.start_time == pytest.approx(0.3)
    assert experiment.actions["Errors"]["state"]["status"] == "running"
    assert experiment.resolved_targets() == [
        {"resourceType": "aws:lambda:function", "targetName": "Api", "targetInformation": {"arn": FUNCTION}}
    ]

    # And once the duration is over it completes, the configuration deleted
    await running
    assert (experiment.status, experiment.reason) == ("completed", "Experiment completed.")
    assert experiment.actions["Errors"]["state"]["status"] == "completed"
    assert cloud.objects == {}
    assert experiment.end_time is not None
    assert experiment.start_time is not None


@in_a_loop
async def test_a_stop_request_stops_it_at_once_with_fis_reason() -> None:
    cloud, experiment = FakeCloud(), _experiment("PT5M")
    running = asyncio.create_task(experiment.run(cloud.calls(), stop_check_interval_s=0.05))
    await _until(lambda: experiment.status == "running")

    experiment.request_stop()
    assert (experiment.status, experiment.reason) == ("stopping", "Experiment is stopping.")
    await asyncio.wait_for(running, 2)

    assert (experiment.status, experiment.reason) == ("stopped", "Experiment stopped by user.")
    assert experiment.actions["Errors"]["state"]["status"] == "stopped"
    assert cloud.objects == {}


@in_a_loop
async def test_a_stop_condition_alarm_in_alarm_stops_it() -> None:
    cloud, experiment = FakeCloud(), _experiment("PT5M")
    running = asyncio.create_task(experiment.run(cloud.calls(), stop_check_interval_s=0.05))
    await _until(lambda: experiment.status == "running")

    cloud.alarm = "ALARM"
    await asyncio.wait_for(running, 2)

    assert experiment.status == "stopped"
    assert experiment.reason == f"Experiment stopped by stop condition: alarm {ALARM} is in ALARM."
    assert cloud.objects == {}


@pytest.mark.parametrize(
    ("cloud", "experiment", "reason"),
    [
        (
            FakeCloud(),
            _experiment(
                target={
                    "resourceType": "aws:lambda:function",
                    "resourceArns": [FUNCTION.replace("api", "gone")],
                }
            ),
            "Target resolution failed: no resources found for target Api",
        ),
        (FakeCloud(location=None), _experiment(), "Function api has no AWS_FIS_CONFIGURATION_LOCATION"),
        (FakeCloud(), _experiment(action="aws:ec2:stop-instances"), "is not supported by the local FIS"),
        (FakeCloud(), _experiment(duration="5 minutes"), "expected an ISO 8601 duration"),
    ],
)
@in_a_loop
async def test_an_experiment_that_cannot_start_fails_saying_why(
    cloud: FakeCloud, experiment: Experiment, reason: str
) -> None:
    await experiment.run(cloud.calls())

    assert experiment.status == "failed"
    assert reason in experiment.reason
    assert experiment.actions["Errors"]["state"]["status"] == "cancelled"
    assert cloud.ever_written == []


@in_a_loop
async def test_targets_by_tags_are_resolved() -> None:
    cloud = FakeCloud()
    experiment = _experiment(target={"resourceType": "aws:lambda:function", "resourceTags": {"chaos": "yes"}})
    await experiment.run(cloud.calls())
    assert experiment.status == "completed"
    assert cloud.ever_written == ["FisConfigs/api/EXP1-Errors.json"]


def test_the_experiment_as_get_experiment_answers_it() -> None:
    document = json.loads(json.dumps(_experiment().to_dict()))
    assert document["state"] == {"status": "pending", "reason": "Experiment is pending."}
    assert "startTime" not in document
    assert "endTime" not in document


@pytest.mark.parametrize(
    ("text", "seconds"), [("PT5M", 300), ("PT30S", 30), ("PT1H30M", 5400), ("PT0.5S", 0.5)]
)
def test_durations(text: str, seconds: float) -> None:
    assert duration_s(text) == seconds

"""The alarm loop: state written back with its reason, notifications to SNS on transitions only."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from local.services.cloudwatch.alarm_evaluator import AlarmEvaluator
from local.services.cloudwatch.alarms import ALARM, OK, MetricAlarm

TOPIC = "arn:aws:sns:us-east-1:123456789012:alarms"
START = 1_700_000_000.0  # a multiple of 10 s


class ControlPlane:
    """DescribeAlarms / SetAlarmState / SNS Publish as moto would answer them, and the metric's samples."""

    def __init__(self, **alarm: Any) -> None:
        self.alarm = {
            "AlarmName": "postcards-throttles",
            "AlarmArn": "arn:aws:cloudwatch:us-east-1:123456789012:alarm:postcards-throttles",
            "Namespace": "AWS/Lambda",
            "MetricName": "Throttles",
            "Dimensions": [{"Name": "FunctionName", "Value": "postcards"}],
            "Statistic": "Sum",
            "Period": 10,
            "EvaluationPeriods": 1,
            "Threshold": 0.0,
            "ComparisonOperator": "GreaterThanThreshold",
            "TreatMissingData": "notBreaching",
            "StateValue": OK,
            "AlarmActions": [TOPIC],
            "OKActions": [TOPIC],
        } | alarm
        self.samples: dict[float, float] = {}
        self.states: list[tuple[str, str, dict[str, Any]]] = []
        self.published: list[tuple[str, str, dict[str, Any]]] = []
        self.fetched: list[tuple[float, float]] = []
        self.failing = False

    async def describe(self) -> list[dict[str, Any]]:
        if self.failing:
            raise ConnectionError("moto is restarting")
        return [dict(self.alarm)]

    async def fetch(self, alarm: MetricAlarm, start: float, end: float) -> dict[float, float]:
        self.fetched.append((start, end))
        return {t: v for t, v in self.samples.items() if start <= t < end}

    async def set_state(self, name: str, state: str, reason: str, reason_data: str) -> None:
        self.states.append((state, reason, json.loads(reason_data)))
        self.alarm["StateValue"] = state

    async def publish(self, topic: str, subject: str, message: str) -> None:
        self.published.append((topic, subject, json.loads(message)))


class Clock:
    def __init__(self) -> None:
        self.now = START + 1

    def __call__(self) -> float:
        return self.now


def evaluator(plane: ControlPlane, clock: Clock) -> AlarmEvaluator:
    return AlarmEvaluator(
        plane.describe,
        plane.fetch,
        plane.set_state,
        plane.publish,
        region="us-east-1",
        account_id="123456789012",
        clock=clock,
    )


def test_a_throttle_burst_raises_the_alarm_and_a_quiet_period_clears_it():
    # Given an OK throttles alarm on 10 s periods, and a burst of throttles in the period from START
    plane, clock = ControlPlane(), Clock()
    loop = evaluator(plane, clock)
    plane.samples[START] = 7.0

    # When the loop runs while that period is still open, after it closed, after one quiet period, and
    # once the burst is out of the evaluation range (N + 2 = 3 periods)
    rounds = []
    for now in (START + 5, START + 11, START + 21, START + 41):
        clock.now = now
        rounds.append(asyncio.run(loop.evaluate_once()))

    # Then the alarm went to ALARM once the period was complete; it stayed while the burst was the most
    # recent real datapoint in the range (CloudWatch looks back past missing ones), then went back to OK
    assert [[t.evaluation.state for t in r] for r in rounds] == [[], [ALARM], [], [OK]]
    assert [state for state, _, _ in plane.states] == [ALARM, OK]
    assert plane.states[0][1].startswith("Threshold Crossed: 1 datapoint [7.0 (")
    assert plane.states[0][2]["recentDatapoints"] == [7.0]
    # And each transition notified the topic, in CloudWatch's shape
    assert [
        (topic, message["OldStateValue"], message["NewStateValue"]) for topic, _, message in plane.published
    ] == [
        (TOPIC, OK, ALARM),
        (TOPIC, ALARM, OK),
    ]
    assert plane.published[0][1] == 'ALARM: "postcards-throttles" in US East (N. Virginia)'
    # The range asked for covers the evaluation periods (plus the look-back) up to the last complete one
    assert plane.fetched[1] == (START - 20, START + 10)


def test_no_notification_when_actions_are_disabled_and_none_for_non_sns_actions(capsys):
    plane, clock = ControlPlane(ActionsEnabled=False), Clock()
    plane.samples[START] = 1.0
    clock.now = START + 11
    asyncio.run(evaluator(plane, clock).evaluate_once())

    other = ControlPlane(AlarmActions=["arn:aws:automate:us-east-1:ec2:stop"])
    other.samples[START] = 1.0
    asyncio.run(evaluator(other, clock).evaluate_once())

    assert [s for s, _, _ in plane.states] == [ALARM]
    assert plane.published == []
    assert [s for s, _, _ in other.states] == [ALARM]
    assert other.published == []
    assert "is not an SNS topic" in capsys.readouterr().err


def test_a_control_plane_failure_is_reported_once_and_retried(capsys):
    plane, clock = ControlPlane(), Clock()
    loop = evaluator(plane, clock)
    plane.failing = True

    assert asyncio.run(loop.evaluate_once()) == []
    assert asyncio.run(loop.evaluate_once()) == []
    plane.failing = False
    plane.samples[START] = 1.0
    clock.now = START + 11
    transitions = asyncio.run(loop.evaluate_once())

    assert [t.evaluation.state for t in transitions] == [ALARM]
    assert capsys.readouterr().err.count("DescribeAlarms failed") == 1


def test_alarms_on_metric_math_are_skipped_with_a_note(capsys):
    plane, clock = ControlPlane(Metrics=[{"Id": "e1", "Expression": "m1 * 2"}]), Clock()

    assert asyncio.run(evaluator(plane, clock).evaluate_once()) == []
    assert "is not evaluated locally" in capsys.readouterr().err
    assert plane.states == []


def test_the_loop_runs_until_stopped():
    plane, clock = ControlPlane(), Clock()
    plane.samples[START] = 1.0
    clock.now = START + 11

    async def scenario() -> None:
        loop = evaluator(plane, clock)
        await loop.start()
        while not plane.states:  # the first round runs at once
            await asyncio.sleep(0)
        await loop.stop()

    asyncio.run(scenario())

    assert [s for s, _, _ in plane.states] == [ALARM]


def test_an_action_cloudwatch_cannot_run_is_not_published_and_only_recorded():
    # Given an OK alarm whose topic's key CloudWatch may not use, and a burst of throttles
    plane, clock = ControlPlane(), Clock()
    history: list[tuple[str, str, str, dict[str, Any]]] = []

    async def check(topic: str) -> str | None:
        return "CloudWatch Alarms does not have authorization to access the SNS topic encryption key."

    async def record(alarm: str, item_type: str, summary: str, data: str) -> None:
        history.append((alarm, item_type, summary, json.loads(data)))

    loop = AlarmEvaluator(
        plane.describe,
        plane.fetch,
        plane.set_state,
        plane.publish,
        region="us-east-1",
        account_id="123456789012",
        check_action=check,
        record_history=record,
        clock=clock,
    )
    plane.samples[START] = 3.0
    clock.now = START + 11

    # When the loop raises the alarm
    asyncio.run(loop.evaluate_once())

    # Then the state changed, nothing was published, and the history holds the failed action
    assert [s for s, _, _ in plane.states] == [ALARM]
    assert plane.published == []
    assert [(a, t, data["actionState"]) for a, t, _, data in history] == [
        ("postcards-throttles", "Action", "Failed")
    ]
    assert history[0][2] == (
        f"Failed to execute action {TOPIC}. Received error: "
        '"CloudWatch Alarms does not have authorization to access the SNS topic encryption key."'
    )


def test_an_action_run_is_recorded_as_succeeded():
    plane, clock = ControlPlane(), Clock()
    history: list[tuple[str, str]] = []

    async def check(topic: str) -> str | None:
        return None

    async def record(alarm: str, item_type: str, summary: str, data: str) -> None:
        history.append((summary, json.loads(data)["actionState"]))

    loop = AlarmEvaluator(
        plane.describe,
        plane.fetch,
        plane.set_state,
        plane.publish,
        region="us-east-1",
        account_id="123456789012",
        check_action=check,
        record_history=record,
        clock=clock,
    )
    plane.samples[START] = 3.0
    clock.now = START + 11
    asyncio.run(loop.evaluate_once())

    assert len(plane.published) == 1
    assert history == [(f"Successfully executed action {TOPIC}", "Succeeded")]

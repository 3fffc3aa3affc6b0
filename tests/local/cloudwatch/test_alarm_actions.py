"""Alarm actions against the control plane: an alarm whose SNS topic is encrypted with a key that does
not admit CloudWatch goes to ALARM but delivers nothing, and its history (DescribeAlarmHistory) says
why, as CloudWatch's does; a topic whose key admits CloudWatch gets the notification."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from typing import Any

import aiohttp
import pytest

from local.control_client import ControlPlaneClient
from local.services.cloudwatch.alarm_evaluator import AlarmEvaluator
from local.services.cloudwatch.control import CloudWatchCalls
from tests.local.controlplane_support import REGION, ControlPlane, running_controlplane

ACCOUNT = "123456789012"
CLOUDWATCH_KEY_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
            "Action": "kms:*",
            "Resource": "*",
        },
        {
            "Effect": "Allow",
            "Principal": {"Service": "cloudwatch.amazonaws.com"},
            "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
            "Resource": "*",
        },
    ],
}


@pytest.fixture(scope="module")
def plane() -> Iterator[ControlPlane]:
    with running_controlplane() as running:
        yield running


def _topic_with_queue(plane: ControlPlane, name: str, key_id: str) -> tuple[str, str]:
    """A topic encrypted with ``key_id`` and the URL of a queue subscribed to it."""
    sns, sqs = plane.client("sns"), plane.client("sqs")
    topic = sns.create_topic(Name=name, Attributes={"KmsMasterKeyId": key_id})["TopicArn"]
    queue = sqs.create_queue(QueueName=f"{name}-inbox")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
    return topic, queue


def _raise_alarm(plane: ControlPlane, name: str, topic: str) -> None:
    """An alarm on its own metric, and one evaluation round of the local alarm loop after a breach."""
    cloudwatch = plane.client("cloudwatch")
    start = (int(time.time()) // 10) * 10 - 600  # a complete 10 s period, ten minutes ago
    cloudwatch.put_metric_alarm(
        AlarmName=name,
        Namespace="Test",
        MetricName=name,
        Statistic="Sum",
        Period=10,
        EvaluationPeriods=1,
        Threshold=0.0,
        ComparisonOperator="GreaterThanThreshold",
        TreatMissingData="notBreaching",
        AlarmActions=[topic],
    )
    cloudwatch.put_metric_data(
        Namespace="Test", MetricData=[{"MetricName": name, "Value": 1.0, "Timestamp": start + 1}]
    )

    async def one_round() -> None:
        async with aiohttp.ClientSession() as session:
            calls = CloudWatchCalls(ControlPlaneClient(plane.url, REGION, session), ACCOUNT)
            loop = AlarmEvaluator(
                calls.describe_alarms,
                calls.datapoints,
                calls.set_alarm_state,
                calls.publish,
                region=REGION,
                account_id=ACCOUNT,
                check_action=calls.sns_action_error,
                record_history=calls.record_history,
                clock=lambda: start + 11,
            )
            await loop.evaluate_once()

    asyncio.run(one_round())


def _messages(plane: ControlPlane, queue: str) -> list[dict[str, Any]]:
    answer = plane.client("sqs").receive_message(QueueUrl=queue, MaxNumberOfMessages=10, WaitTimeSeconds=0)
    return [json.loads(m["Body"]) for m in answer.get("Messages", [])]


def _actions(plane: ControlPlane, alarm: str) -> list[dict[str, Any]]:
    history = plane.client("cloudwatch").describe_alarm_history(AlarmName=alarm, HistoryItemType="Action")
    return list(history["AlarmHistoryItems"])


def test_a_topic_on_the_aws_managed_key_gets_no_notification(plane: ControlPlane) -> None:
    # Given an alarm whose topic is encrypted with alias/aws/sns (what the shipped stack once did)
    topic, queue = _topic_with_queue(plane, "managed-key", "alias/aws/sns")

    # When the alarm goes to ALARM
    _raise_alarm(plane, "managed-key-alarm", topic)

    # Then its state changed, the topic delivered nothing, and the history says why, as on AWS
    cloudwatch = plane.client("cloudwatch")
    assert (
        cloudwatch.describe_alarms(AlarmNames=["managed-key-alarm"])["MetricAlarms"][0]["StateValue"]
        == "ALARM"
    )
    assert _messages(plane, queue) == []
    actions = _actions(plane, "managed-key-alarm")
    assert [a["HistorySummary"] for a in actions] == [
        f"Failed to execute action {topic}. Received error: "
        '"CloudWatch Alarms does not have authorization to access the SNS topic encryption key."'
    ]
    assert json.loads(actions[0]["HistoryData"])["actionState"] == "Failed"
    states = cloudwatch.describe_alarm_history(AlarmName="managed-key-alarm", HistoryItemType="StateUpdate")
    assert [s["HistorySummary"] for s in states["AlarmHistoryItems"]] == [
        "Alarm updated from INSUFFICIENT_DATA to ALARM"
    ]


def test_a_customer_key_without_cloudwatch_gets_no_notification(plane: ControlPlane) -> None:
    # Given a topic on a customer managed key with KMS's default policy (the account's root only)
    key = plane.client("kms").create_key()["KeyMetadata"]["Arn"]
    topic, queue = _topic_with_queue(plane, "default-policy", key)

    # When its alarm goes to ALARM, then nothing is delivered and the action failed
    _raise_alarm(plane, "default-policy-alarm", topic)
    assert _messages(plane, queue) == []
    assert json.loads(_actions(plane, "default-policy-alarm")[0]["HistoryData"])["actionState"] == "Failed"


def test_a_key_that_admits_cloudwatch_delivers(plane: ControlPlane) -> None:
    # Given a topic on a key whose policy allows CloudWatch to decrypt and generate data keys
    key = plane.client("kms").create_key(Policy=json.dumps(CLOUDWATCH_KEY_POLICY))["KeyMetadata"]["KeyId"]
    topic, queue = _topic_with_queue(plane, "admitting", key)

    # When its alarm goes to ALARM
    _raise_alarm(plane, "admitting-alarm", topic)

    # Then the notification arrives and the history records the action as executed
    messages = _messages(plane, queue)
    assert [json.loads(m["Message"])["NewStateValue"] for m in messages] == ["ALARM"]
    assert [a["HistorySummary"] for a in _actions(plane, "admitting-alarm")] == [
        f"Successfully executed action {topic}"
    ]

"""Whether CloudWatch alarms may publish to a topic, judged by its KMS key (pure)."""

from __future__ import annotations

import json

import pytest

from local.services.sns.delivery import (
    UNAUTHORIZED,
    TopicKey,
    cloudwatch_publish_error,
    failed_action_summary,
    policy_admits,
)

ROOT_ONLY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
            "Action": "kms:*",
            "Resource": "*",
        }
    ],
}


def _with(*statements: dict[str, object]) -> str:
    return json.dumps({**ROOT_ONLY, "Statement": [*ROOT_ONLY["Statement"], *statements]})


CLOUDWATCH_STATEMENT = {
    "Effect": "Allow",
    "Principal": {"Service": ["cloudwatch.amazonaws.com"]},
    "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
    "Resource": "*",
}


def test_an_unencrypted_topic_takes_alarm_notifications() -> None:
    assert cloudwatch_publish_error(None, None) is None


@pytest.mark.parametrize("key_id", ["alias/aws/sns", "arn:aws:kms:us-east-1:123456789012:alias/aws/sns"])
def test_the_aws_managed_sns_key_refuses_cloudwatch(key_id: str) -> None:
    assert cloudwatch_publish_error(key_id, None) == UNAUTHORIZED


def test_a_customer_key_must_admit_cloudwatch() -> None:
    admitting = TopicKey(manager="CUSTOMER", enabled=True, policy=_with(CLOUDWATCH_STATEMENT))
    default = TopicKey(manager="CUSTOMER", enabled=True, policy=json.dumps(ROOT_ONLY))
    disabled = TopicKey(manager="CUSTOMER", enabled=False, policy=_with(CLOUDWATCH_STATEMENT))
    assert cloudwatch_publish_error("key-1", admitting) is None
    assert cloudwatch_publish_error("key-1", default) == UNAUTHORIZED
    assert cloudwatch_publish_error("key-1", disabled) == UNAUTHORIZED
    assert cloudwatch_publish_error("key-1", None) == UNAUTHORIZED  # no such key


def test_both_actions_are_needed_and_a_deny_wins() -> None:
    decrypt_only = {**CLOUDWATCH_STATEMENT, "Action": "kms:Decrypt"}
    deny = {**CLOUDWATCH_STATEMENT, "Effect": "Deny", "Action": "kms:GenerateDataKey"}
    everyone = {"Effect": "Allow", "Principal": "*", "Action": "kms:*", "Resource": "*"}
    needed = ("kms:GenerateDataKey", "kms:Decrypt")
    assert not policy_admits(_with(decrypt_only), "cloudwatch.amazonaws.com", needed)
    assert not policy_admits(_with(CLOUDWATCH_STATEMENT, deny), "cloudwatch.amazonaws.com", needed)
    assert policy_admits(_with(everyone), "cloudwatch.amazonaws.com", needed)
    assert not policy_admits("not json", "cloudwatch.amazonaws.com", needed)


def test_the_history_summary_reads_as_cloudwatchs() -> None:
    assert failed_action_summary("arn:aws:sns:us-east-1:123456789012:alarms", UNAUTHORIZED) == (
        "Failed to execute action arn:aws:sns:us-east-1:123456789012:alarms. Received error: "
        '"CloudWatch Alarms does not have authorization to access the SNS topic encryption key."'
    )

"""Whether CloudWatch alarms can publish to an SNS topic, judged by the topic's KMS key: pure.

A topic encrypted at rest makes every publisher use its KMS key (kms:GenerateDataKey, kms:Decrypt).
CloudWatch alarms publish as the service principal ``cloudwatch.amazonaws.com``, which the
AWS-managed key ``alias/aws/sns`` does not admit (its policy cannot be edited): every alarm action on
such a topic fails, and the alarm history says "Failed to execute action <topic ARN>. Received
error: "CloudWatch Alarms does not have authorization to access the SNS topic encryption key."".
A customer managed key works when its policy allows CloudWatch both actions.
https://repost.aws/knowledge-center/cloudwatch-configure-alarm-sns,
https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html ("Configure AWS KMS permissions").

Locally, a key policy's Allow statements are read for the principal (``*``, ``{"AWS": "*"}`` or the
service) and the actions (wildcards as IAM matches them); Deny statements that name the principal and
an action refuse; conditions are not evaluated (a conditional Allow counts as an Allow).
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

CLOUDWATCH = "cloudwatch.amazonaws.com"
# What a publisher needs of the topic's key.
NEEDED_ACTIONS = ("kms:GenerateDataKey", "kms:Decrypt")
AWS_MANAGED_SNS_KEY = "alias/aws/sns"
UNAUTHORIZED = "CloudWatch Alarms does not have authorization to access the SNS topic encryption key."


@dataclass(frozen=True)
class TopicKey:
    """The KMS key a topic names, as KMS describes it."""

    manager: str  # KeyManager: AWS or CUSTOMER
    enabled: bool
    policy: str  # the key policy (JSON)


def cloudwatch_publish_error(kms_master_key_id: str | None, key: TopicKey | None) -> str | None:
    """Why CloudWatch alarms cannot publish to a topic encrypted with ``kms_master_key_id`` (``key``:
    that key, None when KMS has no such key), or None when they can (or the topic is not encrypted)."""
    if not kms_master_key_id:
        return None
    if (
        kms_master_key_id.endswith(AWS_MANAGED_SNS_KEY)
        or key is None
        or key.manager == "AWS"
        or not key.enabled
    ):
        return UNAUTHORIZED
    return None if policy_admits(key.policy, CLOUDWATCH, NEEDED_ACTIONS) else UNAUTHORIZED


def failed_action_summary(action_arn: str, error: str) -> str:
    """The alarm history's summary of an action that failed, as CloudWatch words it."""
    return f'Failed to execute action {action_arn}. Received error: "{error}"'


def policy_admits(policy: str, service: str, actions: Iterable[str]) -> bool:
    """Whether a key policy allows ``service`` every one of ``actions`` (and denies none)."""
    try:
        document = json.loads(policy)
    except ValueError:
        return False
    statements = document.get("Statement") if isinstance(document, dict) else None
    if isinstance(statements, dict):
        statements = [statements]
    if not isinstance(statements, list):
        return False
    allowed: set[str] = set()
    for statement in statements:
        if not isinstance(statement, dict) or not _names(statement.get("Principal"), service):
            continue
        matched = {a for a in actions if _matches(statement.get("Action"), a)}
        if statement.get("Effect") == "Deny" and matched:
            return False
        if statement.get("Effect") == "Allow":
            allowed |= matched
    return allowed == set(actions)


def _names(principal: Any, service: str) -> bool:
    if principal == "*":
        return True
    if not isinstance(principal, dict):
        return False
    return "*" in _as_list(principal.get("AWS")) or service in _as_list(principal.get("Service"))


def _matches(patterns: Any, action: str) -> bool:
    return any(fnmatch.fnmatchcase(action.lower(), str(p).lower()) for p in _as_list(patterns))


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]

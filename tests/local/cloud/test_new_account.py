"""``python -m local up --account-concurrency 10``: the whole stack applies in an account with a new
account's quota (no reservations, as the shipped defaults make none), the account refuses one, and an
alarm on the stack's encrypted topic runs its action (the topic's key admits CloudWatch)."""

from __future__ import annotations

import contextlib
import json
import time
from pathlib import Path

import pytest
import requests
from botocore.exceptions import ClientError

from tests.local.cloud_support import start_cloud, stop_cloud

pytestmark = pytest.mark.slow  # a cloud of its own, with terraform/ applied

APPLY_TIMEOUT_S = 900


def test_the_stack_applies_under_a_new_accounts_quota(tmp_path: Path) -> None:
    # Given a local cloud whose account has the quota of a new account
    cloud = start_cloud(tmp_path, "--account-concurrency", "10")
    try:
        # When terraform/ has been applied to it
        deadline = time.monotonic() + APPLY_TIMEOUT_S
        status: dict[str, object] = {}
        while time.monotonic() < deadline:
            with contextlib.suppress(ValueError):  # being written
                cloud.endpoints = json.loads((cloud.state_dir / "endpoints.json").read_text())
            status = cloud.endpoints.get("terraform") or {}
            if status.get("status") in ("applied", "failed"):
                break
            time.sleep(1)

        # Then the apply succeeded and the API answers
        assert status.get("status") == "applied", f"{status}\n{cloud.log()[-4000:]}"
        assert requests.get(cloud.endpoints["api_url"] + "/v1/health", timeout=30).status_code == 200
        # and the account has its quota, all of it unreserved: no function holds a reservation
        lambda_ = cloud.client("lambda")
        limit = lambda_.get_account_settings()["AccountLimit"]
        assert (limit["ConcurrentExecutions"], limit["UnreservedConcurrentExecutions"]) == (10, 10)
        names = [f["FunctionName"] for f in lambda_.list_functions()["Functions"]]
        assert names
        assert all("Concurrency" not in lambda_.get_function(FunctionName=n) for n in names)
        # while a reservation in it is refused as in a new AWS account
        with pytest.raises(ClientError) as raised:
            lambda_.put_function_concurrency(FunctionName=names[0], ReservedConcurrentExecutions=1)
        assert raised.value.response["Error"]["Message"].endswith("below its minimum value of [10].")

        # And an alarm on the stack's own topic (encrypted with the key Terraform made for it) runs its
        # action: the key admits CloudWatch, so the history says it was executed
        topic = cloud.endpoints["terraform_outputs"]["alarm_topic_arn"]
        cloudwatch = cloud.client("cloudwatch")
        cloudwatch.put_metric_alarm(
            AlarmName="shipped-topic",
            Namespace="Test",
            MetricName="Breach",
            Statistic="Sum",
            Period=10,
            EvaluationPeriods=1,
            Threshold=0.0,
            ComparisonOperator="GreaterThanThreshold",
            TreatMissingData="notBreaching",
            AlarmActions=[topic],
        )
        cloudwatch.put_metric_data(Namespace="Test", MetricData=[{"MetricName": "Breach", "Value": 1.0}])
        actions: list[str] = []
        deadline = time.monotonic() + 120
        while not actions and time.monotonic() < deadline:
            history = cloudwatch.describe_alarm_history(AlarmName="shipped-topic", HistoryItemType="Action")
            actions = [item["HistorySummary"] for item in history["AlarmHistoryItems"]]
            time.sleep(1)
        assert actions == [f"Successfully executed action {topic}"]
    finally:
        stop_cloud(cloud)

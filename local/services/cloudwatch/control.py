"""The CloudWatch (and SNS) calls the publisher and the alarm loop make to the control plane.

CloudWatch's JSON 1.0 protocol (``X-Amz-Target: GraniteServiceVersion20100801.<Operation>``, epoch
timestamps), which moto serves, over the local cloud's one asynchronous client; alarm notifications
are SNS Publish calls. https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/Welcome.html
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from local.config import DEFAULT_ACCOUNT_ID
from local.control_client import ControlPlaneClient
from local.services.cloudwatch.alarms import MetricAlarm

_TARGET = "GraniteServiceVersion20100801."


class CloudWatchCalls:
    def __init__(self, client: ControlPlaneClient, account_id: str = DEFAULT_ACCOUNT_ID) -> None:
        self.client = client
        self.account_id = account_id

    async def _call(self, operation: str, body: dict[str, Any]) -> Any:
        return await self.client.json_call("monitoring", _TARGET + operation, body, "1.0")

    async def put_metric_data(self, namespace: str, data: list[dict[str, Any]]) -> None:
        await self._call("PutMetricData", {"Namespace": namespace, "MetricData": data})

    async def describe_alarms(self) -> list[dict[str, Any]]:
        alarms: list[dict[str, Any]] = []
        token: str | None = None
        while True:
            body: dict[str, Any] = {"AlarmTypes": ["MetricAlarm"], "MaxRecords": 100}
            if token:
                body["NextToken"] = token
            answer = await self._call("DescribeAlarms", body)
            alarms.extend(answer.get("MetricAlarms") or [])
            token = answer.get("NextToken")
            if not token:
                return alarms

    async def datapoints(self, alarm: MetricAlarm, start: float, end: float) -> Mapping[float, float]:
        """The alarm's statistic per period from ``start`` to ``end``: {period start: value}."""
        body: dict[str, Any] = {
            "Namespace": alarm.namespace,
            "MetricName": alarm.metric_name,
            "Dimensions": [{"Name": name, "Value": value} for name, value in alarm.dimensions],
            "StartTime": start,
            "EndTime": end,
            "Period": alarm.period,
            ("ExtendedStatistics" if alarm.extended else "Statistics"): [alarm.statistic],
        }
        if alarm.unit:
            body["Unit"] = alarm.unit
        answer = await self._call("GetMetricStatistics", body)
        found: dict[float, float] = {}
        for point in answer.get("Datapoints") or []:
            value = (
                (point.get("ExtendedStatistics") or {}).get(alarm.statistic)
                if alarm.extended
                else point.get(alarm.statistic)
            )
            if value is not None:
                found[float(point["Timestamp"])] = float(value)
        return found

    async def set_alarm_state(self, name: str, state: str, reason: str, reason_data: str) -> None:
        await self._call(
            "SetAlarmState",
            {
                "AlarmName": name,
                "StateValue": state,
                "StateReason": reason[:1023],
                "StateReasonData": reason_data,
            },
        )

    async def publish(self, topic_arn: str, subject: str, message: str) -> None:
        await self.client.query_call(
            "sns", "Publish", {"TopicArn": topic_arn, "Subject": subject, "Message": message}
        )

    async def sns_action_error(self, topic_arn: str) -> str | None:
        """Why CloudWatch could not publish to ``topic_arn`` (its KMS key), or None: asked of the
        control plane, which holds the topic and the key (``local.controlplane.app``)."""
        answer = await self.client.local_route(
            "GET", "/_local/sns/cloudwatch-delivery", params={"TopicArn": topic_arn}
        )
        error = answer.get("error")
        return str(error) if error else None

    async def record_history(self, alarm: str, item_type: str, summary: str, data: str) -> None:
        body = {
            "AccountId": self.account_id,
            "Region": self.client.region,
            "AlarmName": alarm,
            "HistoryItemType": item_type,
            "HistorySummary": summary,
            "HistoryData": data,
        }
        await self.client.local_route("POST", "/_local/cloudwatch/alarm-history", body=body)

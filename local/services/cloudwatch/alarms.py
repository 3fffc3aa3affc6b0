"""Metric alarm evaluation as CloudWatch does it: pure functions of an alarm, its datapoints and now.

Follows https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarm-evaluation.html and
https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarms-and-missing-data.html:

- datapoints are the alarm's statistic over periods aligned to the period (a 60 s period starts on
  the minute); the newest one evaluated is the last *complete* period;
- CloudWatch looks back over an *evaluation range* longer than Evaluation Periods (N); here N + 2
  periods, the range of the documentation's examples. With at least N real datapoints in the range
  the newest N are evaluated and missing data does not matter; with fewer, missing periods are
  filled as the alarm's TreatMissingData says: ``breaching`` / ``notBreaching`` fill up to N;
  ``missing`` evaluates the real ones alone (none at all: INSUFFICIENT_DATA); ``ignore`` keeps the
  current state while the newest period has no data, else evaluates like ``missing``;
- the alarm is in ALARM when at least Datapoints to Alarm (M) of the evaluated datapoints breach the
  threshold (with fewer real datapoints than M under ``missing``/``ignore``: when all of them do).

State reasons and reason data are written in CloudWatch's words and JSON, and the SNS notification
has the shape CloudWatch publishes (``alarm_message``). Alarms on metric math, anomaly detection
bands or composite rules are not evaluated (``MetricAlarm.from_describe`` returns None).
"""

from __future__ import annotations

import json
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

ALARM, OK, INSUFFICIENT_DATA = "ALARM", "OK", "INSUFFICIENT_DATA"
EXTRA_RANGE_PERIODS = 2

_COMPARISONS: dict[str, tuple[Callable[[float, float], bool], str]] = {
    "GreaterThanThreshold": (operator.gt, "greater than"),
    "GreaterThanOrEqualToThreshold": (operator.ge, "greater than or equal to"),
    "LessThanThreshold": (operator.lt, "less than"),
    "LessThanOrEqualToThreshold": (operator.le, "less than or equal to"),
}
_REGION_NAMES = {
    "us-east-1": "US East (N. Virginia)",
    "us-east-2": "US East (Ohio)",
    "us-west-1": "US West (N. California)",
    "us-west-2": "US West (Oregon)",
    "eu-west-1": "EU (Ireland)",
    "eu-west-2": "EU (London)",
    "eu-west-3": "EU (Paris)",
    "eu-central-1": "EU (Frankfurt)",
    "eu-north-1": "EU (Stockholm)",
    "ap-northeast-1": "Asia Pacific (Tokyo)",
    "ap-southeast-1": "Asia Pacific (Singapore)",
    "ap-southeast-2": "Asia Pacific (Sydney)",
}


@dataclass(frozen=True)
class MetricAlarm:
    name: str
    arn: str
    namespace: str
    metric_name: str
    dimensions: tuple[tuple[str, str], ...]
    statistic: str  # Sum, Average, ... or an extended statistic (p99)
    extended: bool
    period: int
    evaluation_periods: int
    datapoints_to_alarm: int
    threshold: float
    comparison_operator: str
    treat_missing_data: str
    state: str
    description: str = ""
    unit: str | None = None
    actions_enabled: bool = True
    alarm_actions: tuple[str, ...] = ()
    ok_actions: tuple[str, ...] = ()
    insufficient_data_actions: tuple[str, ...] = ()
    configuration_updated: str | None = None

    @classmethod
    def from_describe(cls, item: Mapping[str, Any]) -> MetricAlarm | None:
        """From a DescribeAlarms MetricAlarms entry; None for the kinds not evaluated locally."""
        statistic = item.get("Statistic") or item.get("ExtendedStatistic")
        if (
            item.get("Metrics")
            or item.get("ComparisonOperator") not in _COMPARISONS
            or not statistic
            or not item.get("MetricName")
        ):
            return None
        evaluation_periods = int(item["EvaluationPeriods"])
        updated = item.get("AlarmConfigurationUpdatedTimestamp")
        return cls(
            name=item["AlarmName"],
            arn=item.get("AlarmArn", ""),
            namespace=item["Namespace"],
            metric_name=item["MetricName"],
            dimensions=tuple((d["Name"], d["Value"]) for d in item.get("Dimensions") or ()),
            statistic=statistic,
            extended=not item.get("Statistic"),
            period=int(item["Period"]),
            evaluation_periods=evaluation_periods,
            datapoints_to_alarm=int(item.get("DatapointsToAlarm") or evaluation_periods),
            threshold=float(item["Threshold"]),
            comparison_operator=item["ComparisonOperator"],
            treat_missing_data=item.get("TreatMissingData") or "missing",
            state=item.get("StateValue") or INSUFFICIENT_DATA,
            description=item.get("AlarmDescription") or "",
            unit=item.get("Unit"),
            actions_enabled=item.get("ActionsEnabled", True) is not False,
            alarm_actions=tuple(item.get("AlarmActions") or ()),
            ok_actions=tuple(item.get("OKActions") or ()),
            insufficient_data_actions=tuple(item.get("InsufficientDataActions") or ()),
            configuration_updated=str(updated) if updated is not None else None,
        )

    def breaches(self, value: float) -> bool:
        return _COMPARISONS[self.comparison_operator][0](value, self.threshold)

    def actions_for(self, state: str) -> tuple[str, ...]:
        if not self.actions_enabled:
            return ()
        return {ALARM: self.alarm_actions, OK: self.ok_actions}.get(state, self.insufficient_data_actions)


@dataclass(frozen=True)
class Evaluation:
    state: str
    reason: str
    reason_data: dict[str, Any]


def evaluation_range(alarm: MetricAlarm, now: float) -> list[float]:
    """Start times of the periods looked at, newest first (the newest is the last complete one)."""
    newest = (now // alarm.period) * alarm.period - alarm.period
    return [newest - i * alarm.period for i in range(alarm.evaluation_periods + EXTRA_RANGE_PERIODS)]


def evaluate(alarm: MetricAlarm, datapoints: Mapping[float, float], now: float) -> Evaluation | None:
    """The alarm's state after this evaluation, or None to keep the current state (``ignore``)."""
    starts = evaluation_range(alarm, now)
    real = [(start, datapoints[start]) for start in starts if start in datapoints]
    n, m = alarm.evaluation_periods, alarm.datapoints_to_alarm
    if len(real) >= n:
        return _threshold_evaluation(alarm, real[:n], [], m, now)
    treatment = alarm.treat_missing_data
    if treatment in ("breaching", "notBreaching"):
        missing = [s for s in starts[:n] if s not in datapoints][: n - len(real)]
        return _threshold_evaluation(alarm, real, missing, m, now)
    if treatment == "ignore" and starts[0] not in datapoints:
        return None
    if not real:
        periods = len(starts[:n])
        reason = f"Insufficient Data: {periods} datapoint{'s were' if periods != 1 else ' was'} unknown."
        return Evaluation(INSUFFICIENT_DATA, reason, _reason_data(alarm, [], [], now))
    return _threshold_evaluation(alarm, real, [], min(m, len(real)), now)


def _threshold_evaluation(
    alarm: MetricAlarm, real: list[tuple[float, float]], missing: list[float], needed: int, now: float
) -> Evaluation:
    fill_breaches = alarm.treat_missing_data == "breaching"
    breaching = sum(alarm.breaches(value) for _, value in real) + (len(missing) if fill_breaches else 0)
    state = ALARM if breaching >= needed else OK
    relation = _COMPARISONS[alarm.comparison_operator][1]
    total = len(real) + len(missing)
    if not real:
        treated = "Breaching" if fill_breaches else "NonBreaching"
        reason = (
            f"Threshold Crossed: no datapoints were received for {_plural(total, 'period')} and "
            f"{_plural(total, 'missing datapoint')} {'was' if total == 1 else 'were'} treated as [{treated}]."
        )
    else:
        counted = breaching if state == ALARM else total - breaching
        listed = ", ".join(f"{value!r} ({_console_time(start)})" for start, value in real)
        verb = ("was" if counted == 1 else "were") + ("" if state == ALARM else " not")
        subject = (
            f"1 datapoint [{listed}] {verb}"
            if total == 1
            else (f"{counted} out of the last {total} datapoints [{listed}] {verb}")
        )
        reason = f"Threshold Crossed: {subject} {relation} the threshold ({alarm.threshold!r})"
        if total > 1:
            transition = "OK -> ALARM" if state == ALARM else "ALARM -> OK"
            reason += f" (minimum {_plural(needed, 'datapoint')} for {transition} transition)"
        reason += "."
    return Evaluation(state, reason, _reason_data(alarm, real, missing, now))


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _console_time(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%d/%m/%y %H:%M:%S")


def iso(epoch: float) -> str:
    """CloudWatch's timestamps in reasons and notifications: 2026-01-02T03:04:05.678+0000."""
    moment = datetime.fromtimestamp(epoch, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"


def _reason_data(
    alarm: MetricAlarm, real: list[tuple[float, float]], missing: list[float], now: float
) -> dict[str, Any]:
    values = dict(real)
    starts = [*values, *missing]
    data: dict[str, Any] = {"version": "1.0", "queryDate": iso(now)}
    if starts:
        data["startDate"] = iso(min(starts))
    data["extendedStatistic" if alarm.extended else "statistic"] = alarm.statistic
    data |= {
        "period": alarm.period,
        "recentDatapoints": [value for _, value in sorted(real)],
        "threshold": alarm.threshold,
        "evaluatedDatapoints": [
            {"timestamp": iso(start)} | ({"value": values[start]} if start in values else {})
            for start in sorted(starts, reverse=True)
        ],
    }
    return data


def reason_data_json(evaluation: Evaluation) -> str:
    return json.dumps(evaluation.reason_data, separators=(",", ":"))


def region_name(region: str) -> str:
    return _REGION_NAMES.get(region, region)


def alarm_message(
    alarm: MetricAlarm, old_state: str, evaluation: Evaluation, *, account_id: str, region: str, now: float
) -> tuple[str, str]:
    """The (subject, message) CloudWatch publishes to an SNS action on a state change."""
    trigger: dict[str, Any] = {
        "MetricName": alarm.metric_name,
        "Namespace": alarm.namespace,
        "StatisticType": "ExtendedStatistic" if alarm.extended else "Statistic",
        ("ExtendedStatistic" if alarm.extended else "Statistic"): (
            alarm.statistic if alarm.extended else alarm.statistic.upper()
        ),
        "Unit": alarm.unit,
        "Dimensions": [{"value": value, "name": name} for name, value in alarm.dimensions],
        "Period": alarm.period,
        "EvaluationPeriods": alarm.evaluation_periods,
        "DatapointsToAlarm": alarm.datapoints_to_alarm,
        "ComparisonOperator": alarm.comparison_operator,
        "Threshold": alarm.threshold,
        "TreatMissingData": alarm.treat_missing_data,
        "EvaluateLowSampleCountPercentile": "",
    }
    message = {
        "AlarmName": alarm.name,
        "AlarmDescription": alarm.description or None,
        "AWSAccountId": account_id,
        "AlarmConfigurationUpdatedTimestamp": alarm.configuration_updated,
        "NewStateValue": evaluation.state,
        "NewStateReason": evaluation.reason,
        "StateChangeTime": iso(now),
        "Region": region_name(region),
        "AlarmArn": alarm.arn,
        "OldStateValue": old_state,
        "OKActions": list(alarm.ok_actions),
        "AlarmActions": list(alarm.alarm_actions),
        "InsufficientDataActions": list(alarm.insufficient_data_actions),
        "Trigger": trigger,
    }
    subject = f'{evaluation.state}: "{alarm.name}" in {region_name(region)}'
    return subject[:100], json.dumps(message)

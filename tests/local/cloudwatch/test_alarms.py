"""Alarm evaluation tables: M of N, missing data treatments, CloudWatch's reasons and notifications."""

from __future__ import annotations

import json

import pytest

from local.services.cloudwatch import alarms
from local.services.cloudwatch.alarms import ALARM, INSUFFICIENT_DATA, OK, MetricAlarm

NOW = 1_700_000_125.0  # 22:15:25 UTC on 14/11/23: the last complete 60 s period started 22:14:00


def alarm(**changes) -> MetricAlarm:
    described = {
        "AlarmName": "postcards-5xx",
        "AlarmArn": "arn:aws:cloudwatch:us-east-1:123456789012:alarm:postcards-5xx",
        "AlarmDescription": "Too many 5xx",
        "Namespace": "AWS/ApiGateway",
        "MetricName": "5XXError",
        "Dimensions": [{"Name": "ApiName", "Value": "postcards"}, {"Name": "Stage", "Value": "v1"}],
        "Statistic": "Sum",
        "Period": 60,
        "EvaluationPeriods": 3,
        "DatapointsToAlarm": 3,
        "Threshold": 0.0,
        "ComparisonOperator": "GreaterThanThreshold",
        "TreatMissingData": "missing",
        "StateValue": OK,
        "ActionsEnabled": True,
        "AlarmActions": ["arn:aws:sns:us-east-1:123456789012:alarms"],
        "OKActions": ["arn:aws:sns:us-east-1:123456789012:alarms"],
    }
    result = MetricAlarm.from_describe(described | changes)
    assert result is not None
    return result


def datapoints(pattern: str, subject: MetricAlarm) -> dict[float, float]:
    """The documentation's notation, oldest to newest: X breaching, 0 not breaching, - missing."""
    starts = list(reversed(alarms.evaluation_range(subject, NOW)))
    assert len(pattern.split()) == len(starts)
    return {
        start: {"X": 1.0, "0": 0.0}[mark]
        for start, mark in zip(starts, pattern.split(), strict=True)
        if mark != "-"
    }


RETAIN = None
# The table of https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarms-and-missing-data.html
# for an alarm of 3 evaluation periods and 3 datapoints to alarm.
MISSING_DATA_TABLE = [
    ("0 - X - X", {"missing": OK, "ignore": OK, "breaching": OK, "notBreaching": OK}),
    ("- - - - 0", {"missing": OK, "ignore": OK, "breaching": OK, "notBreaching": OK}),
    ("- - - - -", {"missing": INSUFFICIENT_DATA, "ignore": RETAIN, "breaching": ALARM, "notBreaching": OK}),
    ("0 X X - X", {"missing": ALARM, "ignore": ALARM, "breaching": ALARM, "notBreaching": ALARM}),
    ("- - X - -", {"missing": ALARM, "ignore": RETAIN, "breaching": ALARM, "notBreaching": OK}),
]


@pytest.mark.parametrize(("pattern", "outcomes"), MISSING_DATA_TABLE)
@pytest.mark.parametrize("treatment", ["missing", "ignore", "breaching", "notBreaching"])
def test_missing_data_is_treated_as_the_documentation_tabulates(pattern, outcomes, treatment):
    subject = alarm(TreatMissingData=treatment)

    evaluation = alarms.evaluate(subject, datapoints(pattern, subject), NOW)

    assert (evaluation.state if evaluation else RETAIN) == outcomes[treatment]


@pytest.mark.parametrize(
    ("pattern", "m", "state"),
    [
        ("- - X 0 X", 2, ALARM),  # 2 of the last 3 breach
        ("- - X 0 X", 3, OK),
        ("X X 0 0 X", 2, OK),  # older breaches are outside the last 3 real datapoints
        ("X - X 0 -", 2, ALARM),  # a gap: the last 3 real datapoints reach back into the range
        ("0 0 0 0 X", 1, ALARM),
    ],
)
def test_m_out_of_n(pattern, m, state):
    subject = alarm(DatapointsToAlarm=m)

    evaluation = alarms.evaluate(subject, datapoints(pattern, subject), NOW)

    assert evaluation is not None
    assert evaluation.state == state


@pytest.mark.parametrize(
    ("operator", "value", "breaches"),
    [
        ("GreaterThanThreshold", 5.0, False),
        ("GreaterThanOrEqualToThreshold", 5.0, True),
        ("LessThanThreshold", 4.9, True),
        ("LessThanOrEqualToThreshold", 5.1, False),
    ],
)
def test_comparison_operators(operator, value, breaches):
    assert alarm(ComparisonOperator=operator, Threshold=5).breaches(value) is breaches


def test_the_newest_period_evaluated_is_the_last_complete_one():
    subject = alarm(Period=300, EvaluationPeriods=1, DatapointsToAlarm=1)

    assert alarms.evaluation_range(subject, NOW) == [1_699_999_800.0, 1_699_999_500.0, 1_699_999_200.0]


def test_a_breach_is_explained_in_cloudwatchs_words_and_data():
    subject = alarm(EvaluationPeriods=1, DatapointsToAlarm=1, Statistic="Sum")
    newest = alarms.evaluation_range(subject, NOW)[0]

    evaluation = alarms.evaluate(subject, {newest: 3.0}, NOW)

    assert evaluation is not None
    assert evaluation.reason == (
        "Threshold Crossed: 1 datapoint [3.0 (14/11/23 22:14:00)] was greater than the threshold (0.0)."
    )
    assert evaluation.reason_data == {
        "version": "1.0",
        "queryDate": "2023-11-14T22:15:25.000+0000",
        "startDate": "2023-11-14T22:14:00.000+0000",
        "statistic": "Sum",
        "period": 60,
        "recentDatapoints": [3.0],
        "threshold": 0.0,
        "evaluatedDatapoints": [{"timestamp": "2023-11-14T22:14:00.000+0000", "value": 3.0}],
    }
    assert json.loads(alarms.reason_data_json(evaluation)) == evaluation.reason_data


def test_several_datapoints_and_the_way_back_to_ok_are_explained_too():
    subject = alarm(DatapointsToAlarm=2)
    oldest_first = sorted(alarms.evaluation_range(subject, NOW))

    evaluation = alarms.evaluate(
        subject, {oldest_first[-1]: 0.0, oldest_first[-2]: 0.0, oldest_first[-3]: 1.0}, NOW
    )

    assert evaluation is not None
    assert evaluation.state == OK
    assert evaluation.reason == (
        "Threshold Crossed: 2 out of the last 3 datapoints [0.0 (14/11/23 22:14:00), "
        "0.0 (14/11/23 22:13:00), 1.0 (14/11/23 22:12:00)] were not greater than the threshold (0.0) "
        "(minimum 2 datapoints for ALARM -> OK transition)."
    )


def test_missing_data_treated_as_not_breaching_says_so():
    subject = alarm(EvaluationPeriods=1, DatapointsToAlarm=1, TreatMissingData="notBreaching")

    evaluation = alarms.evaluate(subject, {}, NOW)

    assert evaluation is not None
    assert evaluation.reason == (
        "Threshold Crossed: no datapoints were received for 1 period and 1 missing datapoint was treated as "
        "[NonBreaching]."
    )
    assert evaluation.reason_data["evaluatedDatapoints"] == [{"timestamp": "2023-11-14T22:14:00.000+0000"}]


def test_no_data_under_missing_is_insufficient_data():
    evaluation = alarms.evaluate(alarm(), {}, NOW)

    assert evaluation is not None
    assert evaluation.state == INSUFFICIENT_DATA
    assert evaluation.reason == "Insufficient Data: 3 datapoints were unknown."


def test_a_percentile_alarm_is_an_extended_statistic():
    subject = alarm(Statistic=None, ExtendedStatistic="p99", EvaluationPeriods=1, DatapointsToAlarm=1)
    newest = alarms.evaluation_range(subject, NOW)[0]

    evaluation = alarms.evaluate(subject, {newest: 2500.0}, NOW)

    assert subject.extended
    assert subject.statistic == "p99"
    assert evaluation is not None
    assert evaluation.reason_data["extendedStatistic"] == "p99"


@pytest.mark.parametrize(
    "changes",
    [
        {"Metrics": [{"Id": "m1", "Expression": "m2 / m3"}]},
        {"ComparisonOperator": "LessThanLowerOrGreaterThanUpperThreshold"},
        {"Statistic": None},
    ],
)
def test_alarms_not_evaluated_locally_are_recognised(changes):
    described = {
        "AlarmName": "a",
        "Namespace": "N",
        "MetricName": "M",
        "Statistic": "Sum",
        "Period": 60,
        "EvaluationPeriods": 1,
        "Threshold": 1,
        "ComparisonOperator": "GreaterThanThreshold",
    }

    assert MetricAlarm.from_describe(described) is not None
    assert MetricAlarm.from_describe(described | changes) is None


def test_defaults_are_cloudwatchs():
    subject = MetricAlarm.from_describe(
        {
            "AlarmName": "a",
            "Namespace": "N",
            "MetricName": "M",
            "Statistic": "Sum",
            "Period": 60,
            "EvaluationPeriods": 4,
            "Threshold": 1,
            "ComparisonOperator": "GreaterThanThreshold",
        }
    )

    assert subject is not None
    assert (subject.datapoints_to_alarm, subject.treat_missing_data, subject.state) == (
        4,
        "missing",
        INSUFFICIENT_DATA,
    )
    assert subject.actions_enabled


def test_the_sns_notification_is_the_one_cloudwatch_publishes():
    subject = alarm(
        EvaluationPeriods=1,
        DatapointsToAlarm=1,
        AlarmConfigurationUpdatedTimestamp="2023-11-14T20:00:00.000Z",
    )
    evaluation = alarms.evaluate(subject, {alarms.evaluation_range(subject, NOW)[0]: 2.0}, NOW)
    assert evaluation is not None

    subject_line, body = alarms.alarm_message(
        subject, OK, evaluation, account_id="123456789012", region="us-east-1", now=NOW
    )

    message = json.loads(body)
    assert subject_line == 'ALARM: "postcards-5xx" in US East (N. Virginia)'
    assert message["AlarmName"] == "postcards-5xx"
    assert (message["OldStateValue"], message["NewStateValue"]) == (OK, ALARM)
    assert message["NewStateReason"] == evaluation.reason
    assert message["StateChangeTime"] == "2023-11-14T22:15:25.000+0000"
    assert message["Region"] == "US East (N. Virginia)"
    assert message["AlarmArn"].endswith(":alarm:postcards-5xx")
    assert message["Trigger"] | {"Dimensions": None} == {
        "MetricName": "5XXError",
        "Namespace": "AWS/ApiGateway",
        "StatisticType": "Statistic",
        "Statistic": "SUM",
        "Unit": None,
        "Dimensions": None,
        "Period": 60,
        "EvaluationPeriods": 1,
        "DatapointsToAlarm": 1,
        "ComparisonOperator": "GreaterThanThreshold",
        "Threshold": 0.0,
        "TreatMissingData": "missing",
        "EvaluateLowSampleCountPercentile": "",
    }
    assert message["Trigger"]["Dimensions"] == [
        {"value": "postcards", "name": "ApiName"},
        {"value": "v1", "name": "Stage"},
    ]


def test_actions_follow_the_new_state_unless_disabled():
    subject = alarm(InsufficientDataActions=["arn:aws:sns:us-east-1:123456789012:data"])

    assert subject.actions_for(ALARM) == ("arn:aws:sns:us-east-1:123456789012:alarms",)
    assert subject.actions_for(INSUFFICIENT_DATA) == ("arn:aws:sns:us-east-1:123456789012:data",)
    assert alarm(ActionsEnabled=False).actions_for(ALARM) == ()

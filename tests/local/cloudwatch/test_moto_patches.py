"""moto's CloudWatch with the local patches, through boto3: what alarms and graphs rely on."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from moto import mock_aws

from local.services.cloudwatch import moto_patches

MINUTE = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def cloudwatch() -> Iterator[Any]:
    moto_patches.install()
    with mock_aws():
        yield boto3.client(
            "cloudwatch", region_name="us-east-1", aws_access_key_id="t", aws_secret_access_key="t"
        )


def put(cloudwatch: Any, values: list[float], at: datetime, **dimensions: str) -> None:
    cloudwatch.put_metric_data(
        Namespace="AWS/ApiGateway",
        MetricData=[
            {
                "MetricName": "Latency",
                "Dimensions": [{"Name": k, "Value": v} for k, v in dimensions.items()],
                "Timestamp": at,
                "Values": values,
                "Unit": "Milliseconds",
            }
        ],
    )


def test_periods_start_on_the_period_and_percentiles_are_answered(cloudwatch):
    # Given samples 20 s into one minute and 10 s into the next
    put(cloudwatch, [float(v) for v in range(1, 101)], MINUTE + timedelta(seconds=20), ApiName="postcards")
    put(cloudwatch, [500.0], MINUTE + timedelta(seconds=70), ApiName="postcards")

    # When statistics are asked for from a start inside the first minute
    answer = cloudwatch.get_metric_statistics(
        Namespace="AWS/ApiGateway",
        MetricName="Latency",
        Dimensions=[{"Name": "ApiName", "Value": "postcards"}],
        StartTime=MINUTE + timedelta(seconds=5),
        EndTime=MINUTE + timedelta(minutes=2),
        Period=60,
        Statistics=["SampleCount", "Maximum"],
        ExtendedStatistics=["p99", "p50"],
    )

    # Then each datapoint is a whole minute, with its percentiles
    points = sorted(answer["Datapoints"], key=lambda p: p["Timestamp"])
    assert [p["Timestamp"] for p in points] == [MINUTE, MINUTE + timedelta(minutes=1)]
    assert (points[0]["SampleCount"], points[0]["Maximum"]) == (100, 100)
    assert points[0]["ExtendedStatistics"] == {"p99": 99.0, "p50": 50.0}
    assert points[1]["ExtendedStatistics"] == {"p99": 500.0, "p50": 500.0}


def test_dimensions_match_exactly(cloudwatch):
    # Given the same request recorded per API and per API and stage, as API Gateway publishes it
    put(cloudwatch, [10.0], MINUTE, ApiName="postcards")
    put(cloudwatch, [10.0], MINUTE, ApiName="postcards", Stage="v1")

    def count(**dimensions: str) -> float:
        points = cloudwatch.get_metric_statistics(
            Namespace="AWS/ApiGateway",
            MetricName="Latency",
            Dimensions=[{"Name": k, "Value": v} for k, v in dimensions.items()],
            StartTime=MINUTE,
            EndTime=MINUTE + timedelta(minutes=1),
            Period=60,
            Statistics=["SampleCount"],
        )["Datapoints"]
        return sum(p["SampleCount"] for p in points)

    # Then each series counts once
    assert count(ApiName="postcards") == 1
    assert count(ApiName="postcards", Stage="v1") == 1
    assert count() == 0


def test_get_metric_data_answers_a_percentile_stat(cloudwatch):
    put(cloudwatch, [1.0, 2.0, 3.0, 4.0], MINUTE, ApiName="postcards")

    answer = cloudwatch.get_metric_data(
        MetricDataQueries=[
            {
                "Id": "p90",
                "MetricStat": {
                    "Metric": {
                        "Namespace": "AWS/ApiGateway",
                        "MetricName": "Latency",
                        "Dimensions": [{"Name": "ApiName", "Value": "postcards"}],
                    },
                    "Period": 60,
                    "Stat": "p90",
                },
            }
        ],
        StartTime=MINUTE,
        EndTime=MINUTE + timedelta(minutes=1),
    )

    assert answer["MetricDataResults"][0]["Values"] == [4.0]


def test_a_new_alarm_has_insufficient_data_and_an_updated_one_keeps_its_state(cloudwatch):
    alarm = {
        "AlarmName": "latency",
        "Namespace": "AWS/ApiGateway",
        "MetricName": "Latency",
        "ExtendedStatistic": "p99",
        "Period": 60,
        "EvaluationPeriods": 1,
        "Threshold": 100.0,
        "ComparisonOperator": "GreaterThanThreshold",
    }
    cloudwatch.put_metric_alarm(**alarm)
    assert cloudwatch.describe_alarms()["MetricAlarms"][0]["StateValue"] == "INSUFFICIENT_DATA"

    cloudwatch.set_alarm_state(AlarmName="latency", StateValue="ALARM", StateReason="Threshold Crossed")
    cloudwatch.put_metric_alarm(**alarm | {"Threshold": 200.0})

    (described,) = cloudwatch.describe_alarms()["MetricAlarms"]
    assert (described["StateValue"], described["StateReason"], described["Threshold"]) == (
        "ALARM",
        "Threshold Crossed",
        200.0,
    )


def test_samples_are_bounded_in_number_and_age(cloudwatch, monkeypatch):
    from moto.cloudwatch.models import cloudwatch_backends

    monkeypatch.setattr(moto_patches, "MAX_SAMPLES", 10)
    backend = cloudwatch_backends["123456789012"]["us-east-1"]

    put(cloudwatch, [float(v) for v in range(30)], MINUTE, ApiName="postcards")
    assert len(backend.metric_data) == 10

    put(cloudwatch, [1.0], MINUTE + moto_patches.RETENTION + timedelta(minutes=1), ApiName="postcards")
    assert len(backend.metric_data) == 1


def test_counted_values_are_as_many_samples_stored_once_each(cloudwatch):
    from moto.cloudwatch.models import cloudwatch_backends

    backend = cloudwatch_backends["123456789012"]["us-east-1"]
    # Given one second of requests folded into Values/Counts (as the local cloud's publisher sends
    # them), beside a single Value and a StatisticValues datum in the same call
    cloudwatch.put_metric_data(
        Namespace="AWS/ApiGateway",
        MetricData=[
            {"MetricName": "Count", "Dimensions": [{"Name": "ApiName", "Value": "postcards"}],
             "Timestamp": MINUTE, "Values": [0.0, 1.0], "Counts": [3.0, 997.0], "Unit": "Count"},
            {"MetricName": "Latency", "Timestamp": MINUTE, "Value": 7.0, "Unit": "Milliseconds"},
            {"MetricName": "Latency", "Timestamp": MINUTE, "Unit": "Milliseconds",
             "StatisticValues": {"SampleCount": 2, "Sum": 5, "Minimum": 2, "Maximum": 3}},
        ],
    )  # fmt: skip

    # Then the statistics count every sample
    answer = cloudwatch.get_metric_statistics(
        Namespace="AWS/ApiGateway",
        MetricName="Count",
        Dimensions=[{"Name": "ApiName", "Value": "postcards"}],
        StartTime=MINUTE,
        EndTime=MINUTE + timedelta(minutes=1),
        Period=60,
        Statistics=["SampleCount", "Sum", "Average"],
        ExtendedStatistics=["p0.3", "p0.4"],
    )
    (point,) = answer["Datapoints"]
    assert (point["SampleCount"], point["Sum"], point["Average"]) == (1000, 997, 0.997)
    assert point["ExtendedStatistics"] == {"p0.3": 0.0, "p0.4": 1.0}
    # and the samples are stored in order, each value's one object repeated, the others as sent
    counts = [d for d in backend.metric_data if d.name == "Count"]
    assert [d.value for d in counts] == [0.0] * 3 + [1.0] * 997
    assert len({id(d) for d in counts}) == 2
    latency = [d for d in backend.metric_data if d.name == "Latency"]
    assert len(latency) == 2
    assert getattr(latency[0], "value", None) == 7.0


def test_samples_are_not_also_kept_by_moto_s_instance_list(cloudwatch, monkeypatch):
    from moto.cloudwatch import models

    monkeypatch.setattr(moto_patches, "MAX_SAMPLES", 10)
    tracked = len(models.MetricDatum.instances_tracked)
    # Given more samples than are kept
    put(cloudwatch, [float(v) for v in range(30)], MINUTE, ApiName="postcards")
    put(cloudwatch, [1.0, 2.0], MINUTE, ApiName="postcards")

    # Then the dropped ones are referenced nowhere: moto's list of instances did not grow
    assert len(models.MetricDatum.instances_tracked) == tracked
    backend = models.cloudwatch_backends["123456789012"]["us-east-1"]
    assert [d.value for d in backend.metric_data][-2:] == [1.0, 2.0]
    assert {d.dimensions[0].value for d in backend.metric_data} == {"postcards"}


def test_counts_of_another_length_than_values_are_refused(cloudwatch):
    with pytest.raises(cloudwatch.exceptions.InvalidParameterValueException, match="same size"):
        cloudwatch.put_metric_data(
            Namespace="AWS/ApiGateway",
            MetricData=[{"MetricName": "Count", "Values": [1.0, 2.0], "Counts": [1.0]}],
        )

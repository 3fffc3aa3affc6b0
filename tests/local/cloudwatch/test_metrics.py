"""The metric publisher: batches as PutMetricData takes them, never blocks, never raises."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from local.services.cloudwatch.metrics import (
    MAX_DATUMS_PER_CALL,
    MetricPublisher,
    batches,
    dimensions,
    statistic,
)

NOW = 1_700_000_000.5


class Recorder:
    def __init__(self, fail: bool = False) -> None:
        self.calls: list[tuple[str, list[dict[str, Any]]]] = []
        self.fail = fail

    async def __call__(self, namespace: str, data: list[dict[str, Any]]) -> None:
        if self.fail:
            raise ConnectionError("control plane down")
        self.calls.append((namespace, data))


def test_equal_datums_of_a_second_fold_into_values_and_counts():
    # Given three invocations' durations and counts in one second, two namespaces
    put = Recorder()
    publisher = MetricPublisher(put, clock=lambda: NOW)
    function = dimensions(FunctionName="postcards")
    for duration in (12.0, 12.0, 30.5):
        publisher.record("AWS/Lambda", "Duration", duration, unit="Milliseconds", dimensions=function)
        publisher.record("AWS/Lambda", "Invocations", 1, unit="Count", dimensions=function)
    publisher.record(
        "AWS/ApiGateway", "Count", 1, unit="Count", dimensions=dimensions(ApiName="p", Stage="v1")
    )

    # When the publisher flushes
    asyncio.run(publisher.flush())

    # Then there is one call per namespace, values folded with their counts
    calls = dict(put.calls)
    assert set(calls) == {"AWS/Lambda", "AWS/ApiGateway"}
    by_name = {d["MetricName"]: d for d in calls["AWS/Lambda"]}
    assert by_name["Duration"] == {
        "MetricName": "Duration",
        "Dimensions": [{"Name": "FunctionName", "Value": "postcards"}],
        "Timestamp": 1_700_000_000.0,
        "Values": [12.0, 30.5],
        "Counts": [2.0, 1.0],
        "Unit": "Milliseconds",
        "StorageResolution": 60,
    }
    assert (by_name["Invocations"]["Values"], by_name["Invocations"]["Counts"]) == ([1.0], [3.0])
    assert publisher.published == 7


def test_many_distinct_values_and_datums_are_split_within_the_api_limits():
    from local.services.cloudwatch.metrics import MetricDatum

    many_values = [MetricDatum("N", "Latency", float(v), NOW) for v in range(400)]
    many_series = [MetricDatum("N", f"m{i}", 1.0, NOW) for i in range(MAX_DATUMS_PER_CALL + 1)]

    (values_call,) = batches(many_values)
    series_calls = batches(many_series)

    assert [len(d["Values"]) for d in values_call[1]] == [150, 150, 100]
    assert [len(data) for _, data in series_calls] == [MAX_DATUMS_PER_CALL, 1]


def test_a_full_buffer_drops_and_counts_instead_of_waiting():
    publisher = MetricPublisher(Recorder(), max_pending=2, clock=lambda: NOW)

    for _ in range(5):
        publisher.record("N", "Count", 1)

    assert publisher.dropped == 3


def test_a_failing_control_plane_costs_the_batch_and_one_message(capsys):
    publisher = MetricPublisher(Recorder(fail=True), clock=lambda: NOW)
    publisher.record("N", "Count", 1)
    publisher.record("M", "Count", 1)

    asyncio.run(publisher.flush())
    publisher.record("N", "Count", 1)
    asyncio.run(publisher.flush())

    assert publisher.failed == 3
    assert publisher.published == 0
    assert capsys.readouterr().err.count("PutMetricData failed") == 1


def test_stopping_flushes_what_is_pending():
    put = Recorder()

    async def scenario() -> None:
        publisher = MetricPublisher(put, flush_interval_s=3600, clock=lambda: NOW)
        await publisher.start()
        publisher.record("N", "Count", 1)
        await publisher.stop()

    asyncio.run(scenario())

    assert [namespace for namespace, _ in put.calls] == ["N"]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Sum", 15.0),
        ("Average", 3.0),
        ("Minimum", 1.0),
        ("Maximum", 5.0),
        ("SampleCount", 5.0),
        ("p50", 3.0),
        ("p99", 5.0),
        ("p20", 1.0),
        ("p0", 1.0),
        ("p100", 5.0),
        ("p99.9", 5.0),
    ],
)
def test_statistics_of_samples(name, expected):
    assert statistic([5.0, 1.0, 3.0, 2.0, 4.0], name) == expected


def test_a_statistic_of_no_samples_is_none_and_an_unknown_one_an_error():
    assert statistic([], "Sum") is None
    with pytest.raises(ValueError, match="unknown statistic"):
        statistic([1.0], "Median")

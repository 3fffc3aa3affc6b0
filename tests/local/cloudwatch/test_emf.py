"""Embedded Metric Format lines, including what Powertools Metrics prints, turned into datums."""

from __future__ import annotations

import json

import pytest

from local.services.cloudwatch.emf import EmfError, extract
from local.services.cloudwatch.metrics import MetricDatum


def emf(**overrides):
    document = {
        "_aws": {
            "Timestamp": 1_700_000_000_000,
            "CloudWatchMetrics": [
                {
                    "Namespace": "Postcards",
                    "Dimensions": [["service"], ["service", "kind"]],
                    "Metrics": [
                        {"Name": "PostcardsSent", "Unit": "Count"},
                        {"Name": "RenderTime", "Unit": "Milliseconds", "StorageResolution": 1},
                    ],
                }
            ],
        },
        "service": "postcards",
        "kind": "photo",
        "PostcardsSent": 1,
        "RenderTime": [12.5, 14],
        "requestId": "abc",
    }
    return json.dumps(document | overrides)


def test_each_metric_value_and_dimension_set_is_a_datum():
    found = extract(emf())

    by_dims = lambda name: sorted((d.dimensions, d.value) for d in found if d.name == name)  # noqa: E731
    assert by_dims("PostcardsSent") == [
        ((("service", "postcards"),), 1.0),
        ((("service", "postcards"), ("kind", "photo")), 1.0),
    ]
    assert len([d for d in found if d.name == "RenderTime"]) == 4
    render = next(d for d in found if d.name == "RenderTime")
    assert (render.namespace, render.unit, render.storage_resolution, render.timestamp) == (
        "Postcards",
        "Milliseconds",
        1,
        1_700_000_000.0,
    )


def test_what_powertools_metrics_prints_is_read():
    # Given the document Powertools Metrics flushes (the project's functions use it)
    from aws_lambda_powertools import Metrics
    from aws_lambda_powertools.metrics import MetricUnit

    metrics = Metrics(namespace="Postcards", service="postcards")
    metrics.add_metric(name="PostcardsSent", unit=MetricUnit.Count, value=2)
    line = json.dumps(metrics.serialize_metric_set())

    # When it is extracted
    (datum,) = extract(line)

    # Then it is CloudWatch's datum for it
    assert datum == MetricDatum(
        "Postcards", "PostcardsSent", 2.0, datum.timestamp, "Count", (("service", "postcards"),), 60
    )


@pytest.mark.parametrize(
    "line",
    [
        "START RequestId: 1 Version: $LATEST",
        "{not json",
        '{"message": "no _aws here"}',
        "[1, 2]",
        "",
        '"_aws"',
    ],
)
def test_a_line_that_is_not_emf_yields_nothing(line):
    assert extract(line) == []


def test_an_empty_dimension_set_gives_a_metric_without_dimensions():
    line = json.dumps(
        {
            "_aws": {
                "Timestamp": 0,
                "CloudWatchMetrics": [{"Namespace": "N", "Dimensions": [[]], "Metrics": [{"Name": "M"}]}],
            },
            "M": 3,
        }
    )

    (datum,) = extract(line)

    assert (datum.dimensions, datum.unit, datum.value) == ((), "None", 3.0)


@pytest.mark.parametrize(
    ("overrides", "complaint"),
    [
        ({"service": 5}, "dimension 'service' needs a string"),
        ({"kind": None}, "dimension 'kind'"),
        ({"PostcardsSent": "one"}, "needs a number"),
        ({"PostcardsSent": True}, "needs a number"),
        ({"RenderTime": list(range(101))}, "more than 100 values"),
        ({"_aws": {"CloudWatchMetrics": []}}, "Timestamp"),
        ({"_aws": {"Timestamp": 1, "CloudWatchMetrics": {}}}, "must be a list"),
        (
            {
                "_aws": {
                    "Timestamp": 1,
                    "CloudWatchMetrics": [{"Namespace": "AWS/Lambda", "Dimensions": [], "Metrics": []}],
                }
            },
            "not in AWS/",
        ),
        (
            {
                "_aws": {
                    "Timestamp": 1,
                    "CloudWatchMetrics": [
                        {"Namespace": "N", "Dimensions": [], "Metrics": [{"Name": "x", "Unit": "Parsecs"}]}
                    ],
                },
                "x": 1,
            },
            "not a CloudWatch unit",
        ),
        (
            {
                "_aws": {
                    "Timestamp": 1,
                    "CloudWatchMetrics": [
                        {
                            "Namespace": "N",
                            "Dimensions": [],
                            "Metrics": [{"Name": "x", "StorageResolution": 5}],
                        }
                    ],
                },
                "x": 1,
            },
            "StorageResolution",
        ),
        (
            {
                "_aws": {
                    "Timestamp": 1,
                    "CloudWatchMetrics": [
                        {"Namespace": "N", "Dimensions": [[f"d{i}" for i in range(31)]], "Metrics": []}
                    ],
                }
            },
            "at most 30",
        ),
        ({"_aws": {"Timestamp": 1, "CloudWatchMetrics": [{"Namespace": "N"}]}}, "Dimensions and Metrics"),
    ],
)
def test_an_emf_document_that_breaks_the_specification_is_refused(overrides, complaint):
    with pytest.raises(EmfError, match=complaint):
        extract(emf(**overrides))

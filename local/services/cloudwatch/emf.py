"""Embedded Metric Format: the metrics in a function's log line, extracted as CloudWatch Logs does.

Follows https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html:
a JSON object whose ``_aws`` member holds ``Timestamp`` (epoch milliseconds) and ``CloudWatchMetrics``,
a list of directives, each with a ``Namespace``, ``Dimensions`` (a list of dimension sets, each a
list of member names) and ``Metrics`` (``Name``, optional ``Unit`` and ``StorageResolution``). Values
are root members: a dimension's is a string, a metric's a number or a list of up to 100 numbers. Each
metric yields one datum per value and dimension set.

A line that is not an EMF document yields nothing; an EMF document that breaks the specification
raises EmfError (CloudWatch keeps such a line as a log event and extracts no metric, so the caller
counts it and keeps the line).
"""

from __future__ import annotations

import json
from typing import Any

from local.services.cloudwatch.metrics import MetricDatum

MAX_DIRECTIVE_METRICS = 100
MAX_DIMENSIONS_PER_SET = 30
MAX_VALUES = 100
UNITS = frozenset(
    {
        "Seconds", "Microseconds", "Milliseconds", "Bytes", "Kilobytes", "Megabytes", "Gigabytes",
        "Terabytes", "Bits", "Kilobits", "Megabits", "Gigabits", "Terabits", "Percent", "Count",
        "Bytes/Second", "Kilobytes/Second", "Megabytes/Second", "Gigabytes/Second", "Terabytes/Second",
        "Bits/Second", "Kilobits/Second", "Megabits/Second", "Gigabits/Second", "Terabits/Second",
        "Count/Second", "None",
    }
)  # fmt: skip


class EmfError(ValueError):
    pass


def extract(line: str) -> list[MetricDatum]:
    """The metric datums in one log line (none for a line that is not EMF)."""
    text = line.strip()
    if not text.startswith("{") or '"_aws"' not in text:
        return []
    try:
        document = json.loads(text)
    except ValueError:
        return []
    if not isinstance(document, dict) or "_aws" not in document:
        return []
    return datums(document)


def datums(document: dict[str, Any]) -> list[MetricDatum]:
    metadata = document["_aws"]
    if not isinstance(metadata, dict):
        raise EmfError("_aws must be an object")
    timestamp = metadata.get("Timestamp")
    if not isinstance(timestamp, int | float) or isinstance(timestamp, bool):
        raise EmfError("_aws.Timestamp must be a number of milliseconds")
    directives = metadata.get("CloudWatchMetrics")
    if not isinstance(directives, list):
        raise EmfError("_aws.CloudWatchMetrics must be a list")
    found: list[MetricDatum] = []
    for directive in directives:
        found.extend(_directive(directive, document, timestamp / 1000.0))
    return found


def _directive(directive: Any, document: dict[str, Any], timestamp: float) -> list[MetricDatum]:
    if not isinstance(directive, dict):
        raise EmfError("a metric directive must be an object")
    namespace = directive.get("Namespace")
    if not isinstance(namespace, str) or not 1 <= len(namespace) <= 1024 or namespace.startswith("AWS/"):
        raise EmfError(f"Namespace {namespace!r} must be 1-1024 characters, not in AWS/")
    dimension_sets = directive.get("Dimensions")
    metrics = directive.get("Metrics")
    if not isinstance(dimension_sets, list) or not isinstance(metrics, list):
        raise EmfError("a metric directive needs Dimensions and Metrics lists")
    if len(metrics) > MAX_DIRECTIVE_METRICS:
        raise EmfError(f"a directive holds at most {MAX_DIRECTIVE_METRICS} metrics")
    resolved = [_dimensions(dimension_set, document) for dimension_set in dimension_sets] or [()]
    found: list[MetricDatum] = []
    for metric in metrics:
        name, unit, resolution = _definition(metric)
        for value in _values(document.get(name), name):
            for dims in resolved:
                found.append(MetricDatum(namespace, name, value, timestamp, unit, dims, resolution))
    return found


def _dimensions(dimension_set: Any, document: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    if not isinstance(dimension_set, list) or len(dimension_set) > MAX_DIMENSIONS_PER_SET:
        raise EmfError(f"a dimension set is a list of at most {MAX_DIMENSIONS_PER_SET} member names")
    pairs: list[tuple[str, str]] = []
    for key in dimension_set:
        value = document.get(key) if isinstance(key, str) else None
        if not isinstance(value, str):
            raise EmfError(f"dimension {key!r} needs a string member at the root")
        pairs.append((key, value))
    return tuple(pairs)


def _definition(metric: Any) -> tuple[str, str, int]:
    if not isinstance(metric, dict) or not isinstance(metric.get("Name"), str) or not metric["Name"]:
        raise EmfError("a metric definition needs a Name")
    unit = metric.get("Unit", "None")
    if unit not in UNITS:
        raise EmfError(f"Unit {unit!r} is not a CloudWatch unit")
    resolution = metric.get("StorageResolution", 60)
    if resolution not in (1, 60):
        raise EmfError("StorageResolution is 1 or 60")
    return metric["Name"], unit, int(resolution)


def _values(value: Any, name: str) -> list[float]:
    values = value if isinstance(value, list) else [value]
    if len(values) > MAX_VALUES:
        raise EmfError(f"metric {name!r} has more than {MAX_VALUES} values")
    if not values or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
        raise EmfError(f"metric {name!r} needs a number or a list of numbers at the root")
    return [float(v) for v in values]

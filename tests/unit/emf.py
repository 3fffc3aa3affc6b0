"""Reading the CloudWatch Embedded Metric Format documents that Powertools Metrics prints."""

from __future__ import annotations

import json
from dataclasses import dataclass


@dataclass(frozen=True)
class EmfMetric:
    name: str
    dimensions: dict[str, str]
    value: float
    namespace: str


def emf_metrics(stdout: str) -> list[EmfMetric]:
    """Every metric in the Embedded Metric Format documents a handler printed."""
    found: list[EmfMetric] = []
    for line in stdout.splitlines():
        try:
            blob = json.loads(line)
        except ValueError:
            continue
        if not isinstance(blob, dict) or "_aws" not in blob:
            continue
        for directive in blob["_aws"]["CloudWatchMetrics"]:
            dimension_names = [name for dimension_set in directive["Dimensions"] for name in dimension_set]
            for metric in directive["Metrics"]:
                value = blob[metric["Name"]]
                found.append(
                    EmfMetric(
                        name=metric["Name"],
                        dimensions={name: blob[name] for name in dimension_names},
                        # Powertools writes a list when a metric was added more than once in a flush.
                        value=sum(value) if isinstance(value, list) else value,
                        namespace=directive["Namespace"],
                    )
                )
    return found


def metric_values(stdout: str) -> dict[str, float]:
    """Metric name -> value (the last document's, for a name printed more than once)."""
    return {metric.name: metric.value for metric in emf_metrics(stdout)}

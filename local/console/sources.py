"""Everything the console shows, read through the AWS APIs at the edge and the executor's status.

Blocking (boto3): the server calls these in a thread. Clients are made once; boto3 clients are
thread-safe. A call that fails raises ``SourceError`` with the service's message, which the page shows
in place of what it could not read.
"""

from __future__ import annotations

import json
import time
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from local.aws_clients import control_plane_client
from local.services.lambda_.status import PATH as ENVIRONMENTS_PATH

MAX_TRACES = 50
MAX_LOG_EVENTS = 100


class SourceError(Exception):
    pass


@dataclass(frozen=True)
class Series:
    """One metric's datapoints, oldest first: (period start, epoch seconds; value)."""

    label: str
    unit: str
    points: tuple[tuple[float, float], ...]


def _call(what: str, call: Any, **arguments: Any) -> Any:
    try:
        return call(**arguments)
    except ClientError as error:
        raise SourceError(f"{what}: {error.response.get('Error', {}).get('Message') or error}") from error
    except BotoCoreError as error:
        raise SourceError(f"{what}: {error}") from error


class Sources:
    def __init__(self, edge_url: str, region: str) -> None:
        """``edge_url``: the edge by plain HTTP on loopback, as the local cloud's own clients use it."""
        self.edge_url = edge_url
        self.xray = control_plane_client("xray", edge_url, region)
        self.logs = control_plane_client("logs", edge_url, region)
        self.cloudwatch = control_plane_client("cloudwatch", edge_url, region)
        self.lambda_ = control_plane_client("lambda", edge_url, region)

    # --- X-Ray -----------------------------------------------------------------------------------

    def trace_summaries(self, filter_expression: str, minutes: int) -> list[dict[str, Any]]:
        """The newest traces of the last ``minutes`` matching ``filter_expression`` (X-Ray's subset)."""
        end = time.time()
        arguments: dict[str, Any] = {"StartTime": end - minutes * 60, "EndTime": end, "Sampling": False}
        if filter_expression:
            arguments["FilterExpression"] = filter_expression
        summaries: list[dict[str, Any]] = []
        while len(summaries) < MAX_TRACES:
            page = _call("GetTraceSummaries", self.xray.get_trace_summaries, **arguments)
            summaries += page.get("TraceSummaries", [])
            if not page.get("NextToken"):
                break
            arguments["NextToken"] = page["NextToken"]
        summaries.sort(key=lambda s: _epoch(s.get("StartTime")), reverse=True)
        return summaries[:MAX_TRACES]

    def trace(self, trace_id: str) -> dict[str, Any] | None:
        found = _call("BatchGetTraces", self.xray.batch_get_traces, TraceIds=[trace_id])
        traces: list[dict[str, Any]] = found.get("Traces", [])
        return traces[0] if traces else None

    def service_graph(self, minutes: int) -> list[dict[str, Any]]:
        end = time.time()
        graph = _call(
            "GetServiceGraph", self.xray.get_service_graph, StartTime=end - minutes * 60, EndTime=end
        )
        services: list[dict[str, Any]] = graph.get("Services", [])
        return services

    # --- Lambda and the executor -----------------------------------------------------------------

    def functions(self) -> list[dict[str, Any]]:
        functions: list[dict[str, Any]] = []
        for page in self.lambda_.get_paginator("list_functions").paginate():
            functions += page.get("Functions", [])
        return sorted(functions, key=lambda f: f["FunctionName"])

    def function(self, name: str) -> dict[str, Any]:
        found: dict[str, Any] = _call("GetFunction", self.lambda_.get_function, FunctionName=name)
        return found

    def environments(self) -> list[dict[str, Any]]:
        """The executor's live execution environments (``local.services.lambda_.status``)."""
        url = self.edge_url + ENVIRONMENTS_PATH
        if not url.startswith("http://"):
            raise SourceError(f"the executor's status must be read on loopback by HTTP, not {url}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - http:// checked above
                environments: list[dict[str, Any]] = json.load(response)["environments"]
        except (OSError, ValueError, KeyError) as error:
            raise SourceError(f"the executor's status: {error}") from error
        return environments

    # --- CloudWatch Logs and CloudWatch ----------------------------------------------------------

    def log_events(self, group: str, minutes: int = 60) -> list[dict[str, Any]]:
        """The newest ``MAX_LOG_EVENTS`` events of ``group`` in the last ``minutes``, oldest first."""
        start_ms = int((time.time() - minutes * 60) * 1000)
        try:
            found = self.logs.filter_log_events(logGroupName=group, startTime=start_ms, limit=10_000)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
                return []  # no invocation has logged yet
            raise SourceError(f"FilterLogEvents: {error}") from error
        events: list[dict[str, Any]] = sorted(found.get("events", []), key=lambda e: e["timestamp"])
        return events[-MAX_LOG_EVENTS:]

    def metric(
        self,
        namespace: str,
        name: str,
        dimensions: dict[str, str],
        statistic: str,
        *,
        minutes: int = 60,
        period_s: int = 60,
    ) -> Series:
        end = time.time()
        # Percentiles (p99) are "extended" statistics, asked for and answered apart from the others.
        extended = statistic.startswith("p")
        answer = _call(
            "GetMetricStatistics",
            self.cloudwatch.get_metric_statistics,
            Namespace=namespace,
            MetricName=name,
            Dimensions=[{"Name": k, "Value": v} for k, v in dimensions.items()],
            StartTime=end - minutes * 60,
            EndTime=end,
            Period=period_s,
            **{"ExtendedStatistics" if extended else "Statistics": [statistic]},
        )
        points = sorted(
            (
                _epoch(p["Timestamp"]),
                float((p.get("ExtendedStatistics") or {})[statistic] if extended else p[statistic]),
            )
            for p in answer.get("Datapoints", [])
        )
        unit = next((p.get("Unit", "") for p in answer.get("Datapoints", [])), "")
        return Series(f"{name} ({statistic})", unit if unit != "None" else "", tuple(points))

    def alarms(self) -> list[dict[str, Any]]:
        alarms: list[dict[str, Any]] = []
        for page in self.cloudwatch.get_paginator("describe_alarms").paginate():
            alarms += page.get("MetricAlarms", [])
        return sorted(alarms, key=lambda a: a["AlarmName"])


def _epoch(value: Any) -> float:
    if isinstance(value, datetime):
        return value.timestamp()
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC).timestamp()
    return 0.0

"""The metrics Lambda and API Gateway publish on their own, with the dimensions AWS gives them.

Lambda (https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html): per invocation
``Invocations`` (1), ``Errors`` (1 for a function error, else 0), ``Duration`` (ms); per request
turned away ``Throttles``; ``ConcurrentExecutions`` (use Maximum) when an invocation starts. Each is
published per function (``FunctionName``), per version or alias (``FunctionName, Resource`` with
``Resource`` = ``name:qualifier``), for an alias also per executed version (``FunctionName, Resource,
ExecutedVersion``), and for the whole account (no dimension); ConcurrentExecutions per function and
account only. A throttled request is not an invocation and not an error.

API Gateway REST APIs (https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-metrics-and-dimensions.html):
per request ``Count`` (1), ``4XXError`` and ``5XXError`` (1 or 0, so their Average is a rate),
``Latency`` and, when an integration was called, ``IntegrationLatency`` (ms), per ``ApiName`` and
``ApiName, Stage`` (the per-method dimensions need detailed metrics, which the project leaves off).
"""

from __future__ import annotations

from local.services.cloudwatch.metrics import Dimensions, MetricDatum

LAMBDA = "AWS/Lambda"
API_GATEWAY = "AWS/ApiGateway"


def _lambda_dimensions(
    function_name: str, qualifier: str | None, executed_version: str | None
) -> list[Dimensions]:
    resource = f"{function_name}:{qualifier}" if qualifier else function_name
    sets: list[Dimensions] = [(), (("FunctionName", function_name),)]
    if qualifier:
        sets.append((("FunctionName", function_name), ("Resource", resource)))
        if executed_version and executed_version != qualifier:
            sets.append(
                (
                    ("FunctionName", function_name),
                    ("Resource", resource),
                    ("ExecutedVersion", executed_version),
                )
            )
    return sets


def lambda_invocation(
    function_name: str,
    *,
    qualifier: str | None,
    executed_version: str | None,
    duration_ms: float,
    error: bool,
    timestamp: float,
) -> list[MetricDatum]:
    datums = []
    for dims in _lambda_dimensions(function_name, qualifier, executed_version):
        datums += [
            MetricDatum(LAMBDA, "Invocations", 1.0, timestamp, "Count", dims),
            MetricDatum(LAMBDA, "Errors", 1.0 if error else 0.0, timestamp, "Count", dims),
            MetricDatum(LAMBDA, "Duration", duration_ms, timestamp, "Milliseconds", dims),
        ]
    return datums


def lambda_throttle(function_name: str, *, qualifier: str | None, timestamp: float) -> list[MetricDatum]:
    return [
        MetricDatum(LAMBDA, "Throttles", 1.0, timestamp, "Count", dims)
        for dims in _lambda_dimensions(function_name, qualifier, None)
    ]


def lambda_concurrency(
    function_name: str, *, function_concurrent: int, account_concurrent: int, timestamp: float
) -> list[MetricDatum]:
    """Invocations in flight when one starts: the function's, and the whole account's."""
    return [
        MetricDatum(LAMBDA, "ConcurrentExecutions", float(account_concurrent), timestamp, "Count", ()),
        MetricDatum(
            LAMBDA,
            "ConcurrentExecutions",
            float(function_concurrent),
            timestamp,
            "Count",
            (("FunctionName", function_name),),
        ),
    ]


def api_request(
    api_name: str,
    stage: str,
    *,
    status: int,
    latency_ms: float,
    integration_latency_ms: float | None,
    timestamp: float,
) -> list[MetricDatum]:
    datums = []
    for dims in ((("ApiName", api_name),), (("ApiName", api_name), ("Stage", stage))):
        datums += [
            MetricDatum(API_GATEWAY, "Count", 1.0, timestamp, "Count", dims),
            MetricDatum(
                API_GATEWAY, "4XXError", 1.0 if 400 <= status < 500 else 0.0, timestamp, "Count", dims
            ),
            MetricDatum(API_GATEWAY, "5XXError", 1.0 if status >= 500 else 0.0, timestamp, "Count", dims),
            MetricDatum(API_GATEWAY, "Latency", latency_ms, timestamp, "Milliseconds", dims),
        ]
        if integration_latency_ms is not None:
            datums.append(
                MetricDatum(
                    API_GATEWAY, "IntegrationLatency", integration_latency_ms, timestamp, "Milliseconds", dims
                )
            )
    return datums

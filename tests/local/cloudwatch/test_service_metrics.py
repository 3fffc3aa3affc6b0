"""Lambda's and API Gateway's own metrics: names, values, units and AWS's dimension sets."""

from __future__ import annotations

from local.services.cloudwatch import service_metrics

NOW = 1_700_000_000.0


def series(datums):
    return {(d.name, d.dimensions): (d.value, d.unit) for d in datums}


def test_an_invocation_through_an_alias_is_counted_per_function_alias_version_and_account():
    datums = service_metrics.lambda_invocation(
        "postcards", qualifier="live", executed_version="7", duration_ms=12.5, error=True, timestamp=NOW
    )

    found = series(datums)
    function = (("FunctionName", "postcards"),)
    alias = (*function, ("Resource", "postcards:live"))
    version = (*alias, ("ExecutedVersion", "7"))
    for dims in ((), function, alias, version):
        assert found[("Invocations", dims)] == (1.0, "Count")
        assert found[("Errors", dims)] == (1.0, "Count")
        assert found[("Duration", dims)] == (12.5, "Milliseconds")
    assert len(datums) == 12
    assert {d.namespace for d in datums} == {"AWS/Lambda"}


def test_an_unqualified_invocation_has_no_resource_dimension_and_a_success_no_error():
    datums = service_metrics.lambda_invocation(
        "postcards", qualifier=None, executed_version="$LATEST", duration_ms=3.0, error=False, timestamp=NOW
    )

    assert {d.dimensions for d in datums} == {(), (("FunctionName", "postcards"),)}
    assert {d.value for d in datums if d.name == "Errors"} == {0.0}


def test_throttles_and_concurrency():
    throttles = service_metrics.lambda_throttle("postcards", qualifier="live", timestamp=NOW)
    concurrency = service_metrics.lambda_concurrency(
        "postcards", function_concurrent=3, account_concurrent=5, timestamp=NOW
    )

    assert {d.name for d in throttles} == {"Throttles"}
    assert len(throttles) == 3  # account, function, alias: a throttled request ran no version
    assert series(concurrency) == {
        ("ConcurrentExecutions", ()): (5.0, "Count"),
        ("ConcurrentExecutions", (("FunctionName", "postcards"),)): (3.0, "Count"),
    }


def test_an_api_request_is_counted_per_api_and_stage_with_error_rates():
    failed = series(
        service_metrics.api_request(
            "postcards", "v1", status=502, latency_ms=40.0, integration_latency_ms=35.0, timestamp=NOW
        )
    )
    rejected = series(
        service_metrics.api_request(
            "postcards", "v1", status=403, latency_ms=2.0, integration_latency_ms=None, timestamp=NOW
        )
    )

    stage = (("ApiName", "postcards"), ("Stage", "v1"))
    assert failed[("Count", stage)] == (1.0, "Count")
    assert failed[("5XXError", stage)] == (1.0, "Count")
    assert failed[("4XXError", stage)] == (0.0, "Count")
    assert failed[("Latency", (("ApiName", "postcards"),))] == (40.0, "Milliseconds")
    assert failed[("IntegrationLatency", stage)] == (35.0, "Milliseconds")
    assert rejected[("4XXError", stage)] == (1.0, "Count")
    assert not any(name == "IntegrationLatency" for name, _ in rejected)

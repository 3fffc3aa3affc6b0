"""An FIS experiment halted by its stop condition: errors injected into half the API function's
invocations until a CloudWatch alarm on the function's Errors fires (local.services.cloudwatch's
evaluator), and FIS stops the experiment with the alarm as its reason
(https://docs.aws.amazon.com/fis/latest/userguide/stop-conditions.html). The blast radius stays
small: users see few errors, and none once the experiment stopped."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest

from tests.local.api.conftest import Api
from tests.local.chaos.experiment import Experiment
from tests.local.chaos.hypothesis import Expectation, steady_state
from tests.local.chaos.measure import LoadShape
from tests.local.cloud_support import RunningCloud
from tests.local.fis.support import TERMINAL, Fis, eventually

pytestmark = pytest.mark.slow

MAX_ERROR_RATE = 0.02
SHARE = 50
ERRORS_PER_10_S = 3


def _stop_alarm(cloud: RunningCloud, function_name: str) -> str:
    """An alarm on the function's Errors over 10 s periods (the template Terraform declares watches
    the API's 5XXError over two 60 s periods: the same mechanism, minutes slower)."""
    cloudwatch = cloud.client("cloudwatch")
    name = f"fis-stop-{uuid.uuid4().hex[:8]}"
    cloudwatch.put_metric_alarm(
        AlarmName=name,
        Namespace="AWS/Lambda",
        MetricName="Errors",
        Dimensions=[{"Name": "FunctionName", "Value": function_name}],
        Statistic="Sum",
        Period=10,
        EvaluationPeriods=1,
        Threshold=ERRORS_PER_10_S,
        ComparisonOperator="GreaterThanThreshold",
        TreatMissingData="notBreaching",
    )
    return str(cloudwatch.describe_alarms(AlarmNames=[name])["MetricAlarms"][0]["AlarmArn"])


def test_an_experiment_is_halted_by_its_stop_alarm(chaos_api: Api, fis: Fis, load_shape: LoadShape) -> None:
    alarm_arn = _stop_alarm(chaos_api.cloud, fis.function_name)
    # Given the hypothesis: the experiment stops itself once its alarm fires (FIS reports the alarm
    # as the reason), within 60 s; meanwhile retries keep users' errors at most 2 %
    hypothesis = steady_state(
        f"errors injected into {SHARE} % of invocations are halted by the stop alarm within 60 s, "
        "users seeing at most 2 % errors",
        max_error_rate=MAX_ERROR_RATE,
        max_p99_ms=5_000,
        recovery_s=30,
        fault_visible=(
            Expectation("the injected errors reach clients as 502s", "attempt_statuses.502", ">=", 1),
            Expectation("the stop alarm stopped the experiment", "observed.stopped_by_alarm", "==", True),
            Expectation("within 60 s of its start", "observed.ran_s", "<=", 60),
        ),
    )
    template_id = fis.template(
        "aws:lambda:invocation-error",
        {"duration": "PT10M", "invocationPercentage": str(SHARE), "preventExecution": "true"},
        stop_alarm_arn=alarm_arn,
    )
    fault = fis.fault(
        "fis-stop-alarm",
        f"FIS aws:lambda:invocation-error on {SHARE} %, stop condition {alarm_arn}",
        template_id,
    )
    experiments: list[str] = fault.settings["experiments"]

    def halted() -> dict[str, Any]:
        # The load is over; the experiment goes on injecting until its alarm stops it.
        started = time.monotonic()

        def keep_calling() -> dict[str, str] | None:
            chaos_api.cloud.client("lambda").invoke(FunctionName=fis.function_name, Payload=b"{}")
            state = fis.state(experiments[-1])
            return state if state["status"] in TERMINAL else None

        state = eventually(keep_calling, "the experiment halted", timeout_s=90, every_s=0.5)
        experiment = fis.client.get_experiment(id=experiments[-1])["experiment"]
        return {
            "state": state,
            "stopped_by_alarm": state == {"status": "stopped", "reason": _reason(alarm_arn)},
            "ran_s": round((experiment["endTime"] - experiment["startTime"]).total_seconds(), 1),
            "waited_after_load_s": round(time.monotonic() - started, 1),
        }

    # When the experiment runs
    result = Experiment(
        "fis-stop-alarm", hypothesis, fault, load_shape.testing(MAX_ERROR_RATE), observe_during=halted
    ).run(chaos_api)

    # Then the hypothesis held: FIS stopped the experiment on its own, saying why
    assert result.held, result.summary()


def _reason(alarm_arn: str) -> str:
    return f"Experiment stopped by stop condition: alarm {alarm_arn} is in ALARM."

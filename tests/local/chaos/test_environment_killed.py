"""Execution environments of the API function killed mid-request (``kill-environment``): at the
worst moment, when the function has made its writes and posts its answer. The client gets an error
(API Gateway's 502) or, retrying with its Idempotency-Key, a success; no write is stored twice;
and new environments serve the next requests."""

from __future__ import annotations

from typing import Any

import pytest

from tests.local.api.conftest import Api
from tests.local.chaos.experiment import Experiment
from tests.local.chaos.faults import LocalFaults
from tests.local.chaos.hypothesis import Expectation, steady_state
from tests.local.chaos.measure import LoadShape

pytestmark = pytest.mark.slow

KILLS = 3


def test_an_environment_killed_mid_request_loses_no_write_and_writes_none_twice(
    api: Api, faults: LocalFaults, load_shape: LoadShape
) -> None:
    # Given the hypothesis: users still list and send postcards; an operation whose environment
    # died may fail for its client (at most 15 %: the client may give up while a killed write's
    # in-progress record waits out the function's timeout), p99 within 20 s (that wait, plus
    # backoff), every acknowledged write stored exactly once
    hypothesis = steady_state(
        f"with {KILLS} environments killed as they answer, every acknowledged postcard is stored "
        "exactly once and new environments take over",
        max_error_rate=0.15,
        max_p99_ms=20_000,
        recovery_s=30,
        fault_visible=(
            Expectation(f"all {KILLS} kills happened", "observed.kills_left", "==", 0),
            Expectation("clients saw the crash as the gateway's 502", "attempt_statuses.502", ">=", 1),
        ),
    )
    fault = faults.fault(
        "kill-environment",
        f"the API function's environment killed as it posts its response, {KILLS} times",
        function=api.function_name,
        count=KILLS,
    )

    def kills_left() -> dict[str, Any]:
        (listed,) = [entry for entry in faults.list() if entry["kind"] == "kill-environment"]
        return {"kills_left": listed["remaining"]}

    # When the experiment runs
    result = Experiment("environment-killed", hypothesis, fault, load_shape, observe_during=kills_left).run(
        api
    )

    # Then the hypothesis held, and environments answered after the kills
    assert result.held, result.summary()
    assert result.phases["after"]["environments_seen"] >= 1

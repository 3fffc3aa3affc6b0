"""FIS's ``aws:lambda:invocation-error`` on the API function: 30 % of its invocations fail without
running (preventExecution). Clients retry with their Idempotency-Key, so users barely notice, and
no postcard is lost or stored twice."""

from __future__ import annotations

import pytest

from tests.local.api.conftest import Api
from tests.local.chaos.experiment import Experiment
from tests.local.chaos.hypothesis import Expectation, steady_state
from tests.local.chaos.measure import LoadShape
from tests.local.fis.support import Fis

pytestmark = pytest.mark.slow

MAX_ERROR_RATE = 0.02
SHARE = 30


def test_thirty_percent_of_invocations_failing_is_absorbed_by_keyed_retries(
    chaos_api: Api, fis: Fis, load_shape: LoadShape
) -> None:
    # Given the hypothesis: with 30 % of attempts failing (API Gateway's 502), at most 2 % of
    # operations fail for their users (8 attempts each: 0.3^8 is far below that), p99 within 5 s,
    # every acknowledged write stored exactly once
    hypothesis = steady_state(
        f"with {SHARE} % of the API function's invocations failing, clients retrying with their "
        "Idempotency-Key see at most 2 % errors and no postcard is lost or stored twice",
        max_error_rate=MAX_ERROR_RATE,
        max_p99_ms=5_000,
        recovery_s=30,
        fault_visible=(
            Expectation("the injected errors reach clients as 502s", "attempt_statuses.502", ">=", 1),
        ),
    )
    template_id = fis.template(
        "aws:lambda:invocation-error",
        {"duration": "PT10M", "invocationPercentage": str(SHARE), "preventExecution": "true"},
    )
    fault = fis.fault(
        "fis-invocation-error", f"FIS aws:lambda:invocation-error on {SHARE} % of invocations", template_id
    )

    # When the experiment runs
    result = Experiment("fis-invocation-error", hypothesis, fault, load_shape.testing(MAX_ERROR_RATE)).run(
        chaos_api
    )

    # Then the hypothesis held, and the share of failed attempts is the action's (FIS samples each
    # invocation: 30 % give or take what a few dozen samples allow)
    assert result.held, result.summary()
    during = result.phases["during"]
    failed_share = during["attempt_statuses"].get("502", 0) / during["attempts"]
    assert 0.1 <= failed_share <= 0.5, during["attempt_statuses"]

"""DynamoDB throttles a share of the API function's calls (``dynamodb-throttle`` at the edge, as
FIS's API-throttle actions do for other services): the function answers 503 with Retry-After once
its SDK's own retries are spent, never a 500 and never a timeout; clients retry with their
Idempotency-Key, so the site keeps listing and accepting postcards, and nothing is written twice."""

from __future__ import annotations

from typing import Any

import pytest

from tests.local.api.conftest import Api
from tests.local.chaos.experiment import Experiment
from tests.local.chaos.faults import LocalFaults
from tests.local.chaos.hypothesis import Expectation, status_never, steady_state
from tests.local.chaos.measure import LoadShape

pytestmark = pytest.mark.slow

THROTTLED_PERCENT = 40


@pytest.mark.parametrize("error", ["ProvisionedThroughputExceededException", "ThrottlingException"])
def test_dynamodb_throttled_clients_see_503_with_retry_after_never_a_500(
    api: Api, faults: LocalFaults, load_shape: LoadShape, error: str
) -> None:
    # Given the hypothesis: the site lists and accepts postcards, at most 5 % of operations fail
    # after the client's retries, every acknowledged write stored exactly once, no attempt answered
    # 500 or 502/504, every 503 says when to come back, and p99 within 15 s: half the gateway's
    # 29 s (the function's SDK tries each call 3 times, up to 3 s of backoff, and a write makes
    # several calls; then the client backs off at least the Retry-After). 40 %: with more, a
    # write's throttled calls, each tried 3 times, sometimes outlast the function's 10 s timeout
    hypothesis = steady_state(
        f"with {THROTTLED_PERCENT} % of DynamoDB's answers to the function a throttle, users still "
        "list and send postcards; the API says 503 + Retry-After, never 500",
        max_error_rate=0.05,
        max_p99_ms=15_000,
        recovery_s=30,
        extra=(
            status_never(500, "no attempt answered 500 (a throttle is not a bug)"),
            status_never(502, "no attempt answered 502 (the function never crashed)"),
            status_never(504, "no attempt answered 504 (the function never hung)"),
            Expectation("every 503 had a Retry-After", "attempts_without_retry_after.503", "==", 0),
        ),
        # The SDK's own retries absorb most throttles, so clients may or may not meet a 503: the
        # fault shows in the calls the edge refused.
        fault_visible=(Expectation("DynamoDB calls were throttled", "observed.throttled_calls", ">=", 1),),
    )
    fault = faults.fault(
        "dynamodb-throttle",
        f"{THROTTLED_PERCENT} % of the functions' DynamoDB calls answered {error}",
        percent=THROTTLED_PERCENT,
        error=error,
    )

    def throttled_calls() -> dict[str, Any]:
        (listed,) = [entry for entry in faults.list() if entry["kind"] == "dynamodb-throttle"]
        return {"throttled_calls": listed["answered"]}

    # When the experiment runs (before, under the fault, after it is cleared)
    result = Experiment(
        f"dynamodb-throttled-{error}", hypothesis, fault, load_shape, observe_during=throttled_calls
    ).run(api)

    # Then the hypothesis held in every phase
    assert result.held, result.summary()

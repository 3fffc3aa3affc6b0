"""FIS's ``aws:lambda:invocation-add-delay`` past what a request can wait: a start-up delay of 35 s,
longer than API Gateway's 29 s integration timeout, on a share of invocations. The function's own
10 s timeout ends those first (API Gateway answers 502, not the 504 the gateway's timeout would
give: https://docs.aws.amazon.com/lambda/latest/dg/services-apigateway-errors.html), so no client
hangs; the timed-out environments are replaced, and the API serves normally once the experiment
stops."""

from __future__ import annotations

import pytest

from tests.local.api.conftest import Api
from tests.local.chaos.experiment import Experiment
from tests.local.chaos.hypothesis import Expectation, steady_state
from tests.local.chaos.measure import LoadShape
from tests.local.fis.support import Fis

pytestmark = pytest.mark.slow

DELAY_MS = 35_000
SHARE = 25


def test_a_startup_delay_past_the_gateway_timeout_fails_fast_and_environments_recover(
    chaos_api: Api, fis: Fis, chaos_scale: float
) -> None:
    # Given the hypothesis: with a quarter of invocations delayed past the gateway's timeout, every
    # attempt is answered (never a hung client: no attempt without an answer), the delayed ones as
    # 502 at the function's 10 s timeout; retries keep the users' error rate at most 10 % and p99
    # within 35 s (a few 10 s timeouts in a row); no write lost or stored twice
    hypothesis = steady_state(
        f"with {SHARE} % of invocations delayed {DELAY_MS / 1000:.0f} s, clients get answers (502 at "
        "the function's timeout), never hang, and new environments serve once the delay is gone",
        max_error_rate=0.10,
        max_p99_ms=35_000,
        recovery_s=40,
        extra=(Expectation("no attempt went unanswered (no hung client)", "attempt_statuses.0", "==", 0),),
        fault_visible=(
            Expectation("delayed invocations timed out as 502s", "attempt_statuses.502", ">=", 1),
        ),
    )
    template_id = fis.template(
        "aws:lambda:invocation-add-delay",
        {"duration": "PT10M", "invocationPercentage": str(SHARE), "startupDelayMilliseconds": str(DELAY_MS)},
    )
    fault = fis.fault(
        "fis-startup-delay", f"FIS aws:lambda:invocation-add-delay of {DELAY_MS} ms on {SHARE} %", template_id
    )
    # Fewer operations than the other experiments: each delayed attempt costs the function's 10 s.
    load = LoadShape(clients=3, operations=12, seconds=90).scaled(chaos_scale)

    # When the experiment runs
    result = Experiment("fis-startup-delay", hypothesis, fault, load).run(chaos_api)

    # Then the hypothesis held, and environments served after the timeouts killed theirs
    assert result.held, result.summary()
    assert result.phases["after"]["environments_seen"] >= 1
    assert result.phases["during"]["attempt_statuses"].get("504", 0) == 0

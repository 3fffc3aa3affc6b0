"""The short load (``make load`` runs the long one): more clients than the API function's reserved
concurrency, writing and reading through the local API Gateway, retrying as a careful client does;
afterwards the postcards table holds every acknowledged write exactly once and nothing refused."""

from __future__ import annotations

import pytest

from tests.local.api import load
from tests.local.api.conftest import Api

pytestmark = pytest.mark.slow

CLIENTS_ABOVE_RESERVED = 4
OPERATIONS = 120
SECONDS = 90.0


def test_above_reserved_concurrency_every_acknowledged_write_is_stored_exactly_once(api: Api) -> None:
    # Given the API function's reserved concurrency, and more clients than that
    reserved = api.reserved_concurrency()
    assert reserved is not None, "the local stack gives the API function a reserved concurrency"
    clients = reserved + CLIENTS_ABOVE_RESERVED

    # When they write and read at once, retrying throttled calls with the same Idempotency-Key
    run, check = load.run_and_verify(
        api.url, api.scan_pages("postcards"), clients=clients, operations=OPERATIONS, seconds=SECONDS
    )
    figures = load.report(run, check, clients=clients, reserved_concurrency=reserved)

    # Then the ceiling was reached: the gateway answered some attempts with Lambda's throttle,
    statuses = run.attempts.statuses
    assert statuses[500] + statuses[429] > 0, figures
    # every answer was a success or a throttle (no crash, no timeout, no refused valid request),
    assert set(statuses) <= {200, 201, 429, 500, 503}, figures
    # no more environments served than the ceiling allows,
    assert 1 <= len(run.environments) <= reserved, figures
    # and the table holds each acknowledged write once, and none that was refused.
    assert check.acknowledged > 0, figures
    assert check.exactly_once, (check, figures)
    assert check.acknowledged <= check.stored <= check.acknowledged + check.in_doubt, figures
    assert run.outcomes["read_own mismatch"] == 0, figures

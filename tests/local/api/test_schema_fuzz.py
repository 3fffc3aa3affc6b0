"""schemathesis against the OpenAPI document through the local API Gateway, with a fixed seed (a
short run; ``make load`` runs a long one with a fresh seed): no server error, every response as
documented, schema-violating input refused, and nothing stored but what was acknowledged."""

from __future__ import annotations

import pytest

from tests.local.api import fuzz
from tests.local.api.conftest import Api

pytestmark = pytest.mark.slow

SEED = 14
EXAMPLES = 15  # per operation and generation mode
SCENARIOS, STEPS = 10, 6


def test_fuzzing_the_document_finds_no_failure_and_stores_only_what_it_acknowledged(api: Api) -> None:
    # Given the tables as they are
    before = api.stored()
    schema = fuzz.load_schema(api.url)

    # When schemathesis sends generated requests, one operation at a time and along the links
    run = fuzz.run_stateless(schema, examples=EXAMPLES, seed=SEED)
    fuzz.run_stateful(schema, scenarios=SCENARIOS, steps=STEPS, seed=SEED, run=run)

    # Then every response passed every check
    assert run.failures == {}, "\n\n".join(run.failures.values())
    assert len(run.cases) >= 10, run.summary()  # every operation of ours was fuzzed
    # and the tables grew by exactly what was acknowledged with a 201: rejected input stored nothing.
    after = api.stored()
    grown = {table: after[table] - before[table] for table in after}
    assert grown == {"postcards": run.created["postcards"], "uploads": run.created["uploads"]}, run.summary()

"""Schema fuzzing over the wire: schemathesis drives the project's OpenAPI document against the local
API Gateway, stateless (every operation, positive and negative data) and stateful (the document's
links: create -> get, a page -> the next page, a postcard -> its photo's upload).

Every response must pass schemathesis's checks (no 5xx, status, headers, content type and body as
documented, schema-violating input refused) with one change: a schema-valid request may be refused
where the schema cannot know the answer, and then only with the documented error (see
``refused_only_for_what_the_schema_cannot_know``). ``/legacy/*`` is left out: it is the container
API's, passed through unchanged.

``FuzzRun`` counts every case and its status, and keeps the first failure of each kind.
"""

from __future__ import annotations

import contextlib
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import hypothesis
import schemathesis
from hypothesis import HealthCheck, Phase
from hypothesis.errors import Unsatisfiable
from schemathesis.specs.openapi.checks import positive_data_acceptance

ROOT = Path(__file__).resolve().parents[3]
OPENAPI = ROOT / "terraform" / "modules" / "api" / "openapi.yaml"

# (status, error code) a schema-valid request may still get: what only the server can know.
REFUSALS_THE_SCHEMA_CANNOT_KNOW: dict[str, set[tuple[int, str]]] = {
    # A cursor the API did not sign (the pattern says its shape, not whose signature it carries).
    "listPostcards": {(400, "invalid_cursor")},
    # An upload id of the right shape that names no usable upload; an Idempotency-Key used before
    # with another body, or still in use.
    "createPostcard": {
        (409, "idempotency_key_reused"),
        (409, "request_in_progress"),
        (422, "upload_not_found"),
        (422, "upload_failed"),
        (409, "upload_already_claimed"),
        (409, "upload_claim_contended"),
    },
    # An id of the right shape that names nothing.
    "getPostcard": {(404, "not_found")},
    "getUpload": {(404, "not_found")},
}


class RefusedValidRequestError(AssertionError):
    pass


def refused_only_for_what_the_schema_cannot_know(ctx: Any, response: Any, case: Any) -> bool | None:
    """schemathesis's positive_data_acceptance, narrowed: a schema-valid request is accepted (or
    throttled), or refused with one of the operation's REFUSALS_THE_SCHEMA_CANNOT_KNOW."""
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive or response.status_code < 400:
        return None
    if response.status_code == 429 or response.status_code >= 500:
        return None  # throttling is allowed; 5xx is not_a_server_error's to report
    code = _error_code(response)
    allowed = REFUSALS_THE_SCHEMA_CANNOT_KNOW.get(case.operation.definition.raw.get("operationId"), set())
    if (response.status_code, code) not in allowed:
        raise RefusedValidRequestError(
            f"{case.operation.label}: schema-valid request refused with {response.status_code} {code}: "
            f"{response.text[:300]}"
        )
    return None


def _error_code(response: Any) -> str | None:
    try:
        body = json.loads(response.text)
    except ValueError:
        return None
    error = body.get("error") if isinstance(body, dict) else None
    return error.get("code") if isinstance(error, dict) else None


def load_schema(api_url: str) -> Any:
    schema = schemathesis.openapi.from_path(OPENAPI)
    schema.config.update(base_url=api_url.rstrip("/"))
    return schema.exclude(path_regex="^/legacy/")


@dataclass
class FuzzRun:
    """What one fuzzing run sent and what came back."""

    cases: Counter[str] = field(default_factory=Counter)  # operation label -> cases sent
    statuses: Counter[int] = field(default_factory=Counter)
    created: Counter[str] = field(default_factory=Counter)  # "postcards" / "uploads" -> 201s
    replays: int = 0  # 201s that answered an earlier request with the same Idempotency-Key again
    failures: dict[str, str] = field(default_factory=dict)  # kind -> first report of it

    @property
    def total(self) -> int:
        return sum(self.cases.values())

    def record(self, case: Any, response: Any) -> None:
        self.cases[case.operation.label] += 1
        self.statuses[response.status_code] += 1
        replayed = response.headers.get("idempotent-replayed") == ["true"]  # the first 201 again
        if response.status_code == 201 and case.method.upper() == "POST" and not replayed:
            self.created[case.path.rsplit("/", 1)[-1]] += 1
        elif replayed:
            self.replays += 1

    def fail(self, label: str, error: BaseException) -> None:
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        kind = f"{label}: {first_line}"
        self.failures.setdefault(kind, str(error)[:4000])

    def summary(self) -> dict[str, Any]:
        return {
            "cases": self.total,
            "by_operation": dict(sorted(self.cases.items())),
            "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
            "created": dict(self.created),
            "replays": self.replays,
            "failures": len(self.failures),
        }


def _validate(run: FuzzRun, case: Any, response: Any, **kwargs: Any) -> None:
    run.record(case, response)
    case.validate_response(
        response,
        excluded_checks=[positive_data_acceptance],
        additional_checks=[refused_only_for_what_the_schema_cannot_know],
        **kwargs,
    )


def _settings(max_examples: int, **extra: Any) -> hypothesis.settings:
    return hypothesis.settings(
        max_examples=max_examples,
        deadline=None,
        database=None,  # nothing remembered between runs: a seed reproduces a run
        derandomize=False,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.explicit, Phase.generate],  # no shrinking: the first report is kept as is
        **extra,
    )


def run_stateless(schema: Any, *, examples: int, seed: int, run: FuzzRun | None = None) -> FuzzRun:
    """``examples`` positive and ``examples`` negative cases per operation (fewer where the
    operation has fewer distinct inputs)."""
    run = run or FuzzRun()
    for result in schema.get_all_operations():
        for mode in (schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE):
            _fuzz_operation(run, result.ok(), mode, examples, seed)
    return run


def _fuzz_operation(run: FuzzRun, operation: Any, mode: Any, examples: int, seed: int) -> None:
    @hypothesis.seed(seed)
    @_settings(examples)
    @hypothesis.given(case=operation.as_strategy(generation_mode=mode))
    def one_case(case: Any) -> None:
        try:
            _validate(run, case, case.call())
        except BaseException as error:  # schemathesis reports a FailureGroup
            run.fail(f"{operation.label} [{mode.value}]", error)

    with contextlib.suppress(Unsatisfiable):  # no input violates an operation that takes none
        one_case()


def run_stateful(
    schema: Any, *, scenarios: int, steps: int, seed: int, run: FuzzRun | None = None
) -> FuzzRun:
    """``scenarios`` call sequences of up to ``steps`` calls along the document's links."""
    run = run or FuzzRun()
    base = schema.as_state_machine()

    class Machine(base):  # type: ignore[misc, valid-type]
        def validate_response(self, response: Any, case: Any, **kwargs: Any) -> None:
            try:
                _validate(run, case, response, recorder=self.recorder)
            except BaseException as error:
                run.fail(f"stateful {case.operation.label}", error)

    hypothesis.seed(seed)(Machine)
    Machine.run(settings=_settings(scenarios, stateful_step_count=steps))
    return run

"""The experiment harness itself, in process (no cloud): hypotheses over figures, the four phases
and their verdicts, and the results written for ``make chaos``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.local.chaos import experiment as experiment_module
from tests.local.chaos.experiment import Experiment, Fault
from tests.local.chaos.hypothesis import Expectation, status_never, steady_state
from tests.local.chaos.measure import LoadShape

STEADY = {
    "error_rate": 0.0,
    "latency_ms": {"p99": 120.0},
    "writes": {"acknowledged": 5, "acknowledged_not_stored": 0, "stored_more_than_once": 0},
    "outcomes": {"feed 200": 3},
    "site": {"page_status": 200},
    "attempt_statuses": {"200": 3, "201": 5},
}


def hypothesis(**extra: Any) -> Any:
    return steady_state("the feed works", max_error_rate=0.05, max_p99_ms=2000, recovery_s=5, **extra)


def test_a_hypothesis_names_each_figure_that_breaks_it() -> None:
    # Given figures with too many errors and a write stored twice
    figures = json.loads(json.dumps(STEADY))
    figures["error_rate"] = 0.2
    figures["writes"]["stored_more_than_once"] = 1

    # When the steady-state hypothesis is checked against them
    problems = hypothesis().violations(figures)

    # Then exactly those two expectations fail, each with the observed value and its bound
    assert problems == [
        "client-visible error rate <= 5%: error_rate = 0.2, expected <= 0.05",
        "no write stored twice: writes.stored_more_than_once = 1, expected == 0",
    ]


def test_a_status_never_seen_counts_zero_and_a_missing_figure_fails() -> None:
    assert status_never(500, "no 500").holds(STEADY)
    assert not Expectation("page", "site.nothing.here", "==", 200).holds(STEADY)
    with pytest.raises(ValueError, match="compare must be one of"):
        Expectation("bad", "x", "<", 1)


def test_fault_visible_expectations_apply_only_while_the_fault_is_on() -> None:
    seen_503 = Expectation("the fault shows as 503s", "attempt_statuses.503", ">=", 1)
    checked = hypothesis(fault_visible=(seen_503,))
    assert checked.violations(STEADY) == []
    assert checked.violations(STEADY, during=True) == [
        "the fault shows as 503s: attempt_statuses.503 = 0, expected >= 1"
    ]


@pytest.fixture
def results(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CHAOS_RESULTS_DIR", str(tmp_path))
    return tmp_path


def scripted(monkeypatch: pytest.MonkeyPatch, phases: list[dict[str, Any]]) -> list[int]:
    """``measure`` answers ``phases`` in turn; the seeds it was called with are recorded."""
    seeds: list[int] = []

    def fake(api: Any, shape: LoadShape, *, seed: int) -> dict[str, Any]:
        seeds.append(seed)
        return json.loads(json.dumps(phases[min(len(seeds), len(phases)) - 1]))

    monkeypatch.setattr(experiment_module, "measure", fake)
    return seeds


def test_an_experiment_that_holds_writes_its_figures_and_the_report(
    results: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a fault that records being injected and removed, and a system that stays steady
    events: list[str] = []
    fault = Fault("noop", "nothing at all", lambda: events.append("in"), lambda: events.append("out"))
    scripted(monkeypatch, [STEADY])
    shape = LoadShape(clients=1, operations=2, seconds=1)

    # When the experiment runs
    result = Experiment(
        "steady", hypothesis(), fault, shape, observe_during=lambda: {"queue": 2}, warm_up=False
    ).run(
        api=None  # type: ignore[arg-type]
    )

    # Then the fault was on exactly once, the verdict is "held", and the results are on disk
    assert events == ["in", "out"]
    assert result.held
    assert result.recovered_after_s is not None
    written = json.loads((results / "steady.json").read_text())
    assert written["verdict"] == "held"
    assert written["phases"]["during"]["observed"] == {"queue": 2}
    assert set(written["phases"]) == {"before", "during", "after"}
    report = (results / "REPORT.md").read_text()
    assert "| steady | nothing at all | **held** | 0.0% / 0.0% / 0.0% | 120 / 120 / 120 |" in report


def test_a_fault_that_breaks_the_hypothesis_refutes_it_and_is_still_removed(
    results: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a system whose error rate rises under the fault and does not come back
    broken = {**STEADY, "error_rate": 0.5}
    scripted(monkeypatch, [STEADY, broken, broken])
    removed: list[bool] = []
    fault = Fault("bad", "breaks it", lambda: None, lambda: removed.append(True))
    shape = LoadShape(clients=1, operations=2, seconds=1)
    quick = steady_state("x", max_error_rate=0.05, max_p99_ms=2000, recovery_s=0)

    # When the experiment runs
    result = Experiment("broken", quick, fault, shape, warm_up=False).run(api=None)  # type: ignore[arg-type]

    # Then it is refuted during the fault and after, with no recovery time, and the fault is gone
    assert result.verdict == "refuted"
    assert set(result.violations) == {"during", "after"}
    assert result.recovered_after_s is None
    assert removed == [True]


def test_an_unsteady_system_gets_no_verdict_and_no_fault(
    results: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scripted(monkeypatch, [{**STEADY, "error_rate": 1.0}])
    injected: list[bool] = []
    fault = Fault("f", "f", lambda: injected.append(True), lambda: None)
    result = Experiment("unsteady", hypothesis(), fault, LoadShape(1, 1, 1), warm_up=False).run(api=None)  # type: ignore[arg-type]
    assert result.verdict == "inconclusive"
    assert injected == []
    assert "before" in result.violations


def test_a_cold_first_probe_is_a_warm_up_not_judged(results: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a system whose very first requests are slow (cold starts), and steady afterwards
    cold = {**STEADY, "latency_ms": {"p99": 60_000.0}}
    scripted(monkeypatch, [cold, STEADY])
    fault = Fault("noop", "nothing", lambda: None, lambda: None)

    # When an experiment runs with its warm-up
    result = Experiment("warm", hypothesis(), fault, LoadShape(1, 1, 1)).run(api=None)  # type: ignore[arg-type]

    # Then the cold figures are kept as the warm-up's, and the verdict is taken on the warm ones
    assert result.phases["warm_up"]["latency_ms"]["p99"] == 60_000.0
    assert result.verdict == "held"


def test_a_load_testing_an_error_bound_has_room_for_two_stray_failures() -> None:
    # Given the usual short load and a 2 % bound on the error rate
    usual = LoadShape(clients=3, operations=24, seconds=20)

    # When the load is sized to test that bound
    sized = usual.testing(0.02)

    # Then it has 100 operations (two failures are 2 %, three are 3 %), the same clients and time,
    # and a bound that 24 operations already test so (10 %) or one that allows none leaves it be
    assert sized == LoadShape(clients=3, operations=100, seconds=20)
    assert usual.testing(0.10) == usual
    assert usual.testing(0.0) == usual

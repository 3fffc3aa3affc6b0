"""A steady-state hypothesis in numbers: expectations over the figures an experiment measures.

Figures are a nested JSON document (``measure.Figures.as_dict``: ``error_rate``, ``latency_ms.p99``,
``attempt_statuses.500``, ``writes.stored_more_than_once``...). An ``Expectation`` names one figure
by its dotted path and bounds it, so a hypothesis is data: it is written into the experiment's JSON
as it was checked, and a reader sees the very numbers it was held to.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Final

_COMPARE: Final[dict[str, Callable[[Any, Any], bool]]] = {
    "<=": operator.le,
    ">=": operator.ge,
    "==": operator.eq,
}


@dataclass(frozen=True)
class Expectation:
    """``figure`` (a dotted path into the figures; a missing key is a count of 0) ``compare``
    ``bound``."""

    description: str
    figure: str
    compare: str
    bound: float | int | bool

    def __post_init__(self) -> None:
        if self.compare not in _COMPARE:
            raise ValueError(f"compare must be one of {sorted(_COMPARE)}, not {self.compare!r}")

    def observed(self, figures: Mapping[str, Any]) -> Any:
        value: Any = figures
        for part in self.figure.split("."):
            if not isinstance(value, Mapping):
                return None
            value = value.get(part, 0)  # a count never incremented (a status never seen) is 0
        return value

    def holds(self, figures: Mapping[str, Any]) -> bool:
        value = self.observed(figures)
        return value is not None and _COMPARE[self.compare](value, self.bound)


@dataclass(frozen=True)
class Hypothesis:
    """What stays true while the fault is on (and before, and after recovery)."""

    statement: str
    expectations: tuple[Expectation, ...]
    recovery_s: float  # after the fault is removed, the hypothesis holds again within this
    # Checked only while the fault is on: what the fault must visibly do (else it was not injected).
    fault_visible: tuple[Expectation, ...] = field(default=())

    def violations(self, figures: Mapping[str, Any], *, during: bool = False) -> list[str]:
        checked = self.expectations + (self.fault_visible if during else ())
        return [
            f"{e.description}: {e.figure} = {e.observed(figures)!r}, expected {e.compare} {e.bound!r}"
            for e in checked
            if not e.holds(figures)
        ]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


# --- the expectations most experiments state ---------------------------------------------------


def error_rate_at_most(share: float) -> Expectation:
    """Operations whose final answer (after the client's retries) was a 5xx, a 409/429 or none."""
    return Expectation(f"client-visible error rate <= {share:.0%}", "error_rate", "<=", share)


def p99_at_most(ms: float) -> Expectation:
    return Expectation(f"p99 latency <= {ms:.0f} ms (retries included)", "latency_ms.p99", "<=", ms)


def no_write_lost_or_duplicated() -> tuple[Expectation, ...]:
    return (
        Expectation("no acknowledged write lost", "writes.acknowledged_not_stored", "==", 0),
        Expectation("no write stored twice", "writes.stored_more_than_once", "==", 0),
        Expectation("no refused write stored", "writes.refused_but_stored", "==", 0),
    )


def site_lists_and_accepts_postcards() -> tuple[Expectation, ...]:
    return (
        Expectation("the site's page is served", "site.page_status", "==", 200),
        Expectation("some postcard was accepted (201)", "writes.acknowledged", ">=", 1),
        Expectation("the feed was listed (200)", "outcomes.feed 200", ">=", 1),
    )


def status_never(status: int, why: str) -> Expectation:
    """No attempt (retries included) was answered ``status``."""
    return Expectation(why, f"attempt_statuses.{status}", "==", 0)


def steady_state(
    statement: str,
    *,
    max_error_rate: float,
    max_p99_ms: float,
    recovery_s: float,
    extra: tuple[Expectation, ...] = (),
    fault_visible: tuple[Expectation, ...] = (),
) -> Hypothesis:
    """The usual hypothesis: the site lists and accepts postcards, few errors, bounded p99, every
    acknowledged write stored exactly once; plus ``extra``."""
    return Hypothesis(
        statement,
        (
            *site_lists_and_accepts_postcards(),
            error_rate_at_most(max_error_rate),
            p99_at_most(max_p99_ms),
            *no_write_lost_or_duplicated(),
            *extra,
        ),
        recovery_s,
        fault_visible,
    )

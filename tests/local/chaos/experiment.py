"""An experiment: a steady-state hypothesis, a fault, and the four phases that test one against the
other (Principles of Chaos Engineering, https://principlesofchaos.org/):

0. **warm-up**: a short probe (not judged), so that the steady state measured is a warm one;
1. **before**: measure; the hypothesis must hold (else the system was not steady: no verdict);
2. **during**: inject the fault, measure under it (plus what the experiment observes itself);
3. **removed**: remove the fault (always, even when a phase fails);
4. **recovery**: measure short probes until the hypothesis holds again, within its bound.

The result (hypothesis, fault, each phase's figures, the verdict and why) goes to
``build/chaos/<name>.json``, and ``build/chaos/REPORT.md`` is rewritten from every result there.
A fault is anything with ``inject`` and ``remove``: a local fault (``faults.LocalFaults``), an FIS
experiment, a process stopped and started again.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tests.local.api.conftest import Api
from tests.local.chaos import report
from tests.local.chaos.hypothesis import Hypothesis
from tests.local.chaos.measure import LoadShape, measure

Observe = Callable[[], dict[str, Any]]


@dataclass
class Fault:
    """What is done to the system, and how it is undone."""

    name: str
    description: str
    inject: Callable[[], Any]
    remove: Callable[[], Any]
    settings: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "description": self.description, "settings": self.settings}


@dataclass
class Result:
    name: str
    hypothesis: Hypothesis
    fault: Fault
    load: LoadShape
    phases: dict[str, dict[str, Any]] = field(default_factory=dict)
    violations: dict[str, list[str]] = field(default_factory=dict)
    recovered_after_s: float | None = None
    verdict: str = "inconclusive"  # held | refuted | inconclusive (not steady before the fault)

    @property
    def held(self) -> bool:
        return self.verdict == "held"

    def summary(self) -> str:
        lines = [f"{self.name}: {self.verdict}"]
        for phase, problems in self.violations.items():
            lines += [f"  {phase}: {problem}" for problem in problems]
            figures = self.phases.get(phase, {})
            # What the clients finally got and every attempt's status: enough to tell a refutation
            # by the fault from one by the machine (a timeout, a throttle) without re-running.
            lines.append(f"    {phase} outcomes: {figures.get('outcomes')}")
            lines.append(f"    {phase} attempt statuses: {figures.get('attempt_statuses')}")
        return "\n".join(lines)

    def as_dict(self) -> dict[str, Any]:
        return {
            "experiment": self.name,
            "hypothesis": self.hypothesis.as_dict(),
            "fault": self.fault.as_dict(),
            "load": vars(self.load),
            "phases": self.phases,
            "violations": self.violations,
            "recovered_after_s": self.recovered_after_s,
            "verdict": self.verdict,
        }


@dataclass
class Experiment:
    name: str
    hypothesis: Hypothesis
    fault: Fault
    load: LoadShape
    # Extra figures read while the fault is on (after the load), and after recovery: e.g. what an
    # on-failure queue holds, or what the page shows.
    observe_during: Observe | None = None
    observe_after: Observe | None = None
    probe: LoadShape = field(default_factory=lambda: LoadShape(clients=2, operations=8, seconds=10))
    # The steady state is a warm one: a probe first, its figures kept apart, so that cold starts
    # (a fresh cloud's first requests) are not taken for the system being unsteady.
    warm_up: bool = True

    def run(self, api: Api) -> Result:
        result = Result(self.name, self.hypothesis, self.fault, self.load)
        try:
            self._run(api, result)
        except Exception as error:  # recorded with the figures so far, then the test fails with it
            result.violations["error"] = [repr(error)]
            raise
        finally:
            report.write(result.as_dict())
        return result

    def _run(self, api: Api, result: Result) -> None:
        hypothesis = self.hypothesis
        if self.warm_up:  # as many clients as the load: as many environments warm
            warm_up = LoadShape(self.load.clients, self.load.clients * 4, self.probe.seconds)
            result.phases["warm_up"] = measure(api, warm_up, seed=0)
        before = result.phases["before"] = measure(api, self.load, seed=1)
        if problems := hypothesis.violations(before):
            result.violations["before"] = problems
            return  # not steady to begin with: the fault would prove nothing
        injected = time.monotonic()
        self.fault.inject()
        try:
            during = result.phases["during"] = measure(api, self.load, seed=2)
            if self.observe_during is not None:
                during["observed"] = self.observe_during()
            during["fault_on_s"] = round(time.monotonic() - injected, 2)
        finally:
            self.fault.remove()
        removed = time.monotonic()
        if problems := hypothesis.violations(during, during=True):
            result.violations["during"] = problems
        after = self._recovery(api, removed)
        result.phases["after"] = after
        if self.observe_after is not None:
            after["observed"] = self.observe_after()
        if problems := hypothesis.violations(after):
            result.violations["after"] = problems
        else:
            result.recovered_after_s = round(time.monotonic() - removed, 2)
        result.verdict = "refuted" if result.violations else "held"

    def _recovery(self, api: Api, removed: float) -> dict[str, Any]:
        """Probe until the hypothesis holds again or its recovery bound has passed; the last probe."""
        deadline = removed + self.hypothesis.recovery_s
        probes = 0
        while True:
            probes += 1
            figures = measure(api, self.probe, seed=100 + probes)
            figures["probes"] = probes
            if not self.hypothesis.violations(figures) or time.monotonic() >= deadline:
                return figures

"""Faults in the Lambda service that FIS's Lambda actions do not cover:

- ``KillRule``: the execution environment dies mid-request: its process is killed (SIGKILL, as a
  crash or Lambda's own host failure would) either once the function has done its work and posts
  its response (the worst moment: every write made, no answer given) or ``after_ms`` into the
  request. The invocation ends as Lambda reports a crashed runtime (``Runtime.ExitError``,
  "signal: killed"), and the next one starts a new environment.
- ``ErrorRule``: the function fails ``percent`` % of its invocations without running, with an
  ``Unhandled`` function error (like FIS's ``aws:lambda:invocation-error`` with preventExecution,
  set here without an experiment).

The executor's environment pools ask ``LambdaFaults.decide`` once per invocation.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from typing import Any, Literal

from local.services.lambda_.invocation import Outcome

KillWhen = Literal["before-response", "after-ms"]


def _function(settings: dict[str, Any]) -> str:
    name = str(settings.get("function") or "")
    if not name:
        raise ValueError("function: the name of the function is required")
    return name


@dataclass
class KillRule:
    function: str
    when: KillWhen = "before-response"
    after_ms: float = 0.0
    remaining: int | None = 1  # how many more invocations to kill (None: every one)

    @classmethod
    def from_settings(cls, settings: dict[str, Any]) -> KillRule:
        after_ms = settings.get("after_ms")
        count = settings.get("count", 1)
        remaining = None if count in (None, 0, "all") else int(count)
        if remaining is not None and remaining < 0:
            raise ValueError(f"count must be a positive number or 'all', not {count}")
        if after_ms is None:
            return cls(_function(settings), "before-response", 0.0, remaining)
        if not 0 <= float(after_ms) <= 900_000:
            raise ValueError(f"after_ms must be between 0 and 900000, not {after_ms}")
        return cls(_function(settings), "after-ms", float(after_ms), remaining)


@dataclass(frozen=True)
class ErrorRule:
    function: str
    percent: float = 100.0

    @classmethod
    def from_settings(cls, settings: dict[str, Any]) -> ErrorRule:
        percent = float(settings.get("percent", 100))
        if not 0 < percent <= 100:
            raise ValueError(f"percent must be above 0 and at most 100, not {percent}")
        return cls(_function(settings), percent)

    @staticmethod
    def outcome() -> Outcome:
        return Outcome(
            json.dumps(
                {"errorType": "InjectedFault", "errorMessage": "the local cloud's function-error fault"}
            ).encode(),
            "Unhandled",
            "error",
        )


@dataclass(frozen=True)
class Decision:
    kill: KillRule | None = None
    error: ErrorRule | None = None


NOTHING = Decision()


@dataclass
class LambdaFaults:
    kills: dict[str, KillRule] = field(default_factory=dict)
    errors: dict[str, ErrorRule] = field(default_factory=dict)
    rng: random.Random = field(default_factory=random.Random)
    killed: int = 0  # environments killed so far (for the control endpoint's listing)

    def remove(self, fault_id: str) -> None:
        self.kills.pop(fault_id, None)
        self.errors.pop(fault_id, None)

    def decide(self, function_name: str) -> Decision:
        if not self.kills and not self.errors:
            return NOTHING
        for error in self.errors.values():
            if error.function == function_name and self.rng.uniform(0, 100) < error.percent:
                return Decision(error=error)
        for kill in self.kills.values():
            if kill.function == function_name and kill.remaining != 0:
                if kill.remaining is not None:
                    kill.remaining -= 1
                self.killed += 1
                return Decision(kill=kill)
        return NOTHING

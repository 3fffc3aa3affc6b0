"""What the executor knows about its execution environments, as JSON: the one status the local
console reads besides the AWS APIs (Lambda has no API that lists environments; its console shows
cold starts only through the REPORT lines' Init Duration and X-Ray's Initialization subsegment).

``GET /_local/lambda/environments`` on the edge answers ``{"environments": [...]}``, one item per live
environment: function, version, ``provisioned`` or ``on-demand`` (Lambda's ``AWS_LAMBDA_INITIALIZATION_TYPE``
values ``provisioned-concurrency`` / ``on-demand``), state, invocations served, init duration, and
whether its next invocation is a cold start (an on-demand environment that has served none).
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from local.services.lambda_.environment import ExecutionEnvironment, State

PATH = "/_local/lambda/environments"


def describe(environment: ExecutionEnvironment) -> dict[str, Any]:
    function = environment.function
    cold = 1 if environment.init_type == "on-demand" and environment.invocations > 0 else 0
    return {
        "id": environment.id,
        "function": function.name,
        "version": function.version,
        "init_type": environment.init_type,
        "state": environment.state.value,
        "invocations": environment.invocations,
        "init_duration_ms": None if environment.init_ms is None else round(environment.init_ms, 2),
        # The first invocation of an on-demand environment waits for its init (a cold start); a
        # provisioned one was initialised before any invocation, so all of its starts are warm.
        "cold_starts": cold,
        "warm_starts": environment.invocations - cold,
        "created": environment.created_at,
        "idle_s": round(time.monotonic() - environment.last_used, 1)
        if environment.state is State.READY
        else 0.0,
        "memory_mb": function.memory_mb,
        "max_memory_mib": round(environment.max_memory_mib, 1),
        "log_group": function.log_group,
        "log_stream": environment.log.name,
    }


def status(environments: Iterable[ExecutionEnvironment]) -> dict[str, Any]:
    return {"environments": [describe(e) for e in sorted(environments, key=lambda e: e.created_at)]}

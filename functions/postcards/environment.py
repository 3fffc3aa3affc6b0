"""Facts about the execution environment serving this process: the data behind ``GET /v1/instance``.

Module state lives exactly as long as a Lambda execution environment, which is the point: the id is
drawn once per environment, the invocation counter counts this environment's invocations, and the
first one is the cold start, unless the environment was initialised ahead of traffic for provisioned
concurrency: Lambda then sets ``AWS_LAMBDA_INITIALIZATION_TYPE=provisioned-concurrency`` (else
``on-demand``), and no invocation of it waits for an init, so none is a cold start (Powertools counts
them the same way).

https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime
"""

from __future__ import annotations

import os
import sys
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final

from postcards import INIT_STARTED

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

ENVIRONMENT_ID: Final = os.urandom(16).hex()


class _State:
    initialised_at: datetime | None = None
    handler_init_ms: float | None = None
    ready_since_boot: float | None = None  # CLOCK_BOOTTIME when init ended, to compare with process start
    invocations: int = 0


def mark_initialised() -> None:
    """Called once by ``handler`` when its module-level initialisation is complete."""
    _State.handler_init_ms = (time.perf_counter() - INIT_STARTED) * 1000
    _State.initialised_at = datetime.now(UTC)
    _State.ready_since_boot = _boot_clock()


def record_invocation() -> int:
    """Count one invocation of this environment; returns its number (1 is the cold start)."""
    _State.invocations += 1
    return _State.invocations


def facts(context: LambdaContext, request_id: str | None) -> dict[str, Any]:
    initialised_at = _State.initialised_at
    initialization_type = os.environ.get("AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand")
    return {
        "environment_id": ENVIRONMENT_ID,
        "cold_start": _State.invocations == 1 and initialization_type != "provisioned-concurrency",
        "initialization_type": initialization_type,
        "init_duration_ms": _rounded(_process_init_ms()),
        "handler_init_ms": _rounded(_State.handler_init_ms),
        "initialized_at": initialised_at.isoformat(timespec="milliseconds") if initialised_at else None,
        "invocation_count": _State.invocations,
        "function_name": context.function_name,
        "function_version": context.function_version,
        "memory_limit_mb": int(context.memory_limit_in_mb),
        "architecture": _architecture(),
        "runtime": _runtime(),
        "python_version": ".".join(map(str, sys.version_info[:3])),
        "region": os.environ.get("AWS_REGION"),
        "log_stream_name": context.log_stream_name,
        "request_id": request_id,
        "aws_request_id": context.aws_request_id,
    }


def _process_init_ms() -> float | None:
    """Process start to end of handler init, like Lambda's Init Duration; None where /proc is missing.

    The process start time comes from /proc in clock ticks (10 ms on Linux), so this is coarse; the
    handler's own part is ``handler_init_ms``.
    """
    ready = _State.ready_since_boot
    if ready is None:
        return None
    try:
        with open("/proc/self/stat", encoding="ascii") as stat:
            # Field 22 (starttime) counts from field 3, the first after the parenthesised command.
            start_ticks = int(stat.read().rsplit(")", 1)[1].split()[19])
        ticks_per_second = os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None
    return max(0.0, (ready - start_ticks / ticks_per_second) * 1000)


def _boot_clock() -> float | None:
    clock = getattr(time, "CLOCK_BOOTTIME", None)
    return time.clock_gettime(clock) if clock is not None else None


def _architecture() -> str:
    machine = os.uname().machine
    return {"aarch64": "arm64", "arm64": "arm64", "x86_64": "x86_64", "amd64": "x86_64"}.get(machine, machine)


def _runtime() -> str:
    # Lambda sets AWS_EXECUTION_ENV=AWS_Lambda_python3.13; elsewhere, name what runs us.
    execution_env = os.environ.get("AWS_EXECUTION_ENV", "")
    if execution_env.startswith("AWS_Lambda_"):
        return execution_env.removeprefix("AWS_Lambda_")
    return f"python{sys.version_info.major}.{sys.version_info.minor}"


def _rounded(value: float | None) -> float | None:
    return round(value, 1) if value is not None else None

"""One invocation as an execution environment runs it, and how it ended.

Shared by the environment (which runs it), the Runtime API (which hands it to the runtime), the
REPORT line and the executor (which makes it from an Invoke and turns the ``Outcome`` into the
answer or a destination's record).
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from local.services.xray.tracing import LambdaTrace

if TYPE_CHECKING:
    from local.services.lambda_.fis_extension import Fault


@dataclass
class Outcome:
    """How an invocation ended. ``error_type`` is set for every failure (REPORT's Error Type)."""

    payload: bytes
    error_type: str | None = None
    status: Literal["success", "error", "timeout"] = "success"

    @property
    def failed(self) -> bool:
        return self.error_type is not None


@dataclass
class Invocation:
    request_id: str
    payload: bytes
    invoked_arn: str
    trace_id: str
    client_context: str | None = None
    cognito_identity: str | None = None
    capture_logs: bool = False
    result: asyncio.Future[Outcome] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )
    deadline_ms: int = 0
    started: float = 0.0  # perf_counter when handed to the runtime
    finished: float = 0.0  # perf_counter when it ended (the runtime answered, or it failed)
    trace: LambdaTrace | None = None  # set when Lambda records this invocation's X-Ray segments
    init_duration_ms: float | None = None  # set on the invocation that follows a cold start
    log_lines: list[str] = field(default_factory=list)
    fault: Fault | None = None  # what an FIS experiment does to it (local.services.lambda_.fis_extension)

    @property
    def qualifier(self) -> str | None:
        """The version or alias it was invoked by (None: unqualified, $LATEST)."""
        parts = self.invoked_arn.split(":")
        return parts[7] if len(parts) > 7 else None


def platform_error(error_type: str, message: str) -> Outcome:
    """A failure Lambda itself reports (a timeout, a crash, the memory limit), not the function."""
    return Outcome(
        json.dumps({"errorType": error_type, "errorMessage": message}).encode(), error_type, "error"
    )

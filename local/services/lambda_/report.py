"""The REPORT line Lambda writes to the log at the end of every invocation.

https://docs.aws.amazon.com/lambda/latest/dg/python-logging.html#python-logging-output
"""

from __future__ import annotations

import math

from local.services.lambda_.invocation import Invocation, Outcome


def report_line(
    invocation: Invocation,
    outcome: Outcome,
    duration_ms: float,
    *,
    memory_mb: int,
    max_memory_mib: float,
    enforce_memory: bool,
) -> str:
    """``REPORT RequestId: ...`` with durations, memory, Init Duration after a cold start, the X-Ray
    trace of a traced invocation, and the status of an invocation the platform ended (a timeout, a
    crash, the memory limit)."""
    # Since August 2025 Lambda bills the INIT phase of on-demand functions too.
    init = invocation.init_duration_ms
    billed = math.ceil(duration_ms + (init or 0.0))
    used = min(math.ceil(max_memory_mib), memory_mb) if enforce_memory else math.ceil(max_memory_mib)
    parts = [
        f"REPORT RequestId: {invocation.request_id}",
        f"Duration: {duration_ms:.2f} ms",
        f"Billed Duration: {max(billed, 1)} ms",
        f"Memory Size: {memory_mb} MB",
        f"Max Memory Used: {used} MB",
    ]
    if init is not None:
        parts.append(f"Init Duration: {init:.2f} ms")
    if invocation.trace is not None:  # a sampled invocation with Active tracing, as Lambda writes it
        root, segment = invocation.trace.header.root, invocation.trace.function_segment_id
        parts += [f"XRAY TraceId: {root}", f"SegmentId: {segment}", "Sampled: true"]
    if outcome.status == "timeout":
        parts.append("Status: timeout")
    elif outcome.error_type is not None and outcome.error_type.startswith(
        ("Runtime.", "Sandbox.", "Function.")
    ):
        parts += ["Status: error", f"Error Type: {outcome.error_type}"]
    return "\t".join(parts)

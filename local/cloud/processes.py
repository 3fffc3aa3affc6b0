"""Child processes of ``make up`` that never outlive it.

Each child gets a process group of its own (so that stopping it stops whatever it started) and,
on Linux, a parent-death signal: if ``make up`` itself is killed with SIGKILL and cannot clean up,
the kernel still kills its children.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import os
import signal
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO

_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:  # runs in the child between fork and exec
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


async def spawn(
    argv: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    output: IO[bytes] | int | None = None,
) -> asyncio.subprocess.Process:
    """Start ``argv`` in a new process group that dies with this process."""
    return await asyncio.create_subprocess_exec(
        *argv,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=output,
        stderr=asyncio.subprocess.STDOUT if output is not None else None,
        env=dict(env) if env is not None else None,
        cwd=cwd,
        start_new_session=True,
        preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
    )


async def stop(process: asyncio.subprocess.Process, grace_s: float = 5.0) -> int:
    """SIGTERM the process group, SIGKILL it after ``grace_s``; return the exit code."""
    if process.returncode is None:
        _signal_group(process.pid, signal.SIGTERM)
        try:
            await asyncio.wait_for(process.wait(), grace_s)
        except TimeoutError:
            _signal_group(process.pid, signal.SIGKILL)
            await process.wait()
    # Anything the child left behind in its group goes too.
    _signal_group(process.pid, signal.SIGKILL)
    return process.returncode if process.returncode is not None else -1


def _signal_group(pgid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signum)

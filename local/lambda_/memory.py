"""Memory of an execution environment's process tree, read from /proc (Linux).

Lambda reports "Max Memory Used" per environment and kills one that exceeds its MemorySize. The
kernel keeps each process's peak resident set (VmHWM), which is exactly the first figure for the
main process; children (rare: subprocesses a handler starts) add their current resident set.
Readings happen after every invocation, so they are a couple of raw reads; the process tree is
walked at most once a second. Without /proc the figures are None and the REPORT line says 0 MB.
"""

from __future__ import annotations

import os
import time

CHILDREN_EVERY_S = 1.0


def _read(path: str) -> bytes:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return b""
    try:
        return os.read(fd, 8192)
    except OSError:
        return b""
    finally:
        os.close(fd)


def _kib(status: bytes, field: bytes) -> int | None:
    start = status.find(field)
    if start < 0:
        return None
    end = status.find(b"kB", start)
    return int(status[start + len(field) : end])


def _children(pid: int) -> list[int]:
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return []
    return [int(child) for task in tasks for child in _read(f"/proc/{pid}/task/{task}/children").split()]


class ProcessMemory:
    """Readings for the process tree rooted at ``pid``."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self._status = f"/proc/{pid}/status"
        self._descendants: list[int] = []
        self._walked_at = 0.0

    def _others(self) -> int:
        """Current resident KiB of the descendants (the tree re-walked at most once a second)."""
        now = time.monotonic()
        if now - self._walked_at > CHILDREN_EVERY_S:
            self._walked_at = now
            found: list[int] = []
            stack = _children(self.pid)
            while stack:
                child = stack.pop()
                found.append(child)
                stack += _children(child)
            self._descendants = found
        return sum(_kib(_read(f"/proc/{child}/status"), b"VmRSS:") or 0 for child in self._descendants)

    def peak_mib(self) -> float | None:
        """Peak resident memory of the process plus the current memory of its descendants, MiB."""
        peak = _kib(_read(self._status), b"VmHWM:")
        return None if peak is None else (peak + self._others()) / 1024

    def current_mib(self) -> float | None:
        """Current resident memory of the process tree, MiB."""
        rss = _kib(_read(self._status), b"VmRSS:")
        return None if rss is None else (rss + self._others()) / 1024

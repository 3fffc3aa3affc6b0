"""Memory of an execution environment's process tree, read from /proc (Linux).

Lambda reports "Max Memory Used" per environment and kills one that exceeds its MemorySize. The
kernel keeps each process's peak resident set (VmHWM), which is exactly the first figure for the
main process; children (rare: subprocesses a handler starts) add their current resident set.
Readings happen after every invocation, so they are cheap: the main process's /proc files stay open
and are re-read with one pread each (a /proc file regenerates at offset 0). ``status`` (VmHWM) costs
~25 us to generate, ``statm`` (current pages) ~5 us, so the peak is re-read after invocations of
10 ms or more and at least every 100 ms, and the current size fills the gaps: a shorter invocation
can fault in only a few MB, and a peak it left behind shows in a REPORT within 100 ms. The process
tree is walked at most once a second. Without /proc the figures are None and REPORT says 0 MB.
"""

from __future__ import annotations

import os
import time

CHILDREN_EVERY_S = 1.0
PEAK_EVERY_S = 0.1
LONG_INVOCATION_S = 0.01
_PAGE_KIB = os.sysconf("SC_PAGE_SIZE") // 1024


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


def _open(path: str) -> int:
    try:
        return os.open(path, os.O_RDONLY)
    except OSError:
        return -1


def _pread(fd: int) -> bytes:
    if fd < 0:
        return b""
    try:
        return os.pread(fd, 8192, 0)
    except OSError:  # the process is gone
        return b""


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
    """Readings for the process tree rooted at ``pid``; ``close`` when the process has ended."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        # The descriptors stay bound to this process, even if its pid is reused later.
        self._status_fd = _open(f"/proc/{pid}/status")
        self._statm_fd = _open(f"/proc/{pid}/statm")
        self._peak_kib = 0
        self._peak_read_at = 0.0
        self._descendants: list[int] = []
        self._walked_at = 0.0

    def close(self) -> None:
        for fd in (self._status_fd, self._statm_fd):
            if fd >= 0:
                os.close(fd)
        self._status_fd = self._statm_fd = -1

    def _resident_kib(self) -> int | None:
        """Current resident set of the main process (statm's second field, in pages)."""
        statm = _pread(self._statm_fd)
        return int(statm.split()[1]) * _PAGE_KIB if statm else None

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

    def peak_mib(self, invocation_s: float = LONG_INVOCATION_S) -> float | None:
        """Peak resident memory of the process plus the current memory of its descendants, MiB,
        after an invocation that ran ``invocation_s`` seconds."""
        now = time.monotonic()
        if invocation_s >= LONG_INVOCATION_S or now - self._peak_read_at >= PEAK_EVERY_S:
            self._peak_read_at = now
            peak = _kib(_pread(self._status_fd), b"VmHWM:")
            if peak is None:
                return None
            self._peak_kib = max(self._peak_kib, peak)
        else:
            resident = self._resident_kib()
            if resident is None:
                return None
            self._peak_kib = max(self._peak_kib, resident)
        return (self._peak_kib + self._others()) / 1024

    def current_mib(self) -> float | None:
        """Current resident memory of the process tree, MiB."""
        rss = self._resident_kib()
        return None if rss is None else (rss + self._others()) / 1024

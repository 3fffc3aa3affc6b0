"""Memory of an execution environment's process tree, read from /proc (Linux).

Lambda reports "Max Memory Used" per environment and kills one that exceeds its MemorySize. The
kernel keeps each process's peak resident set (VmHWM), which is exactly the first figure for the
main process; children (rare: subprocesses a handler starts) add their current resident set.
On systems without /proc both figures are None and the REPORT line says 0 MB.
"""

from __future__ import annotations

from pathlib import Path

_PROC = Path("/proc")


def _status_kib(pid: int, field: str) -> int | None:
    try:
        text = (_PROC / str(pid) / "status").read_text()
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith(field):
            return int(line.split()[1])
    return None


def _children(pid: int) -> list[int]:
    try:
        tasks = list((_PROC / str(pid) / "task").iterdir())
    except OSError:
        return []
    children: list[int] = []
    for task in tasks:
        try:
            children += [int(child) for child in (task / "children").read_text().split()]
        except OSError:
            continue
    return children


def _descendants(pid: int) -> list[int]:
    found: list[int] = []
    stack = _children(pid)
    while stack:
        child = stack.pop()
        found.append(child)
        stack += _children(child)
    return found


def peak_mib(pid: int) -> float | None:
    """Peak resident memory of ``pid`` plus the current memory of its descendants, in MiB."""
    peak = _status_kib(pid, "VmHWM:")
    if peak is None:
        return None
    rest = sum(_status_kib(child, "VmRSS:") or 0 for child in _descendants(pid))
    return (peak + rest) / 1024


def current_mib(pid: int) -> float | None:
    """Current resident memory of ``pid`` and its descendants, in MiB."""
    rss = _status_kib(pid, "VmRSS:")
    if rss is None:
        return None
    rest = sum(_status_kib(child, "VmRSS:") or 0 for child in _descendants(pid))
    return (rss + rest) / 1024

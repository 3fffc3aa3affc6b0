"""CPU time of processes, read from /proc (Linux): what a benchmark's servers spent per request."""

from __future__ import annotations

import os
from pathlib import Path


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of one process so far (0.0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def descendants(root: int) -> list[tuple[int, bytes]]:
    """Every live process below ``root`` (any depth), with its command line."""
    children: dict[int, list[int]] = {}
    commands: dict[int, bytes] = {}
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            parent = int(proc.joinpath("stat").read_text().rsplit(")", 1)[1].split()[1])
            commands[int(proc.name)] = proc.joinpath("cmdline").read_bytes()
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(parent, []).append(int(proc.name))
    found: list[tuple[int, bytes]] = []
    stack = list(children.get(root, []))
    while stack:
        pid = stack.pop()
        found.append((pid, commands.get(pid, b"")))
        stack += children.get(pid, [])
    return found


def tree_cpu_seconds(root: int) -> float:
    """CPU time of ``root`` and every live process below it."""
    return cpu_seconds(root) + sum(cpu_seconds(pid) for pid, _ in descendants(root))

"""CPU time of processes, read from /proc (Linux): what a benchmark's servers spent per request."""

from __future__ import annotations

import os
from collections.abc import Callable
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


Classify = Callable[[bytes], str]  # a process's role from its command line


def by_role(root: int, root_role: str, classify: Classify) -> dict[str, list[int]]:
    """``root`` and its live descendants, grouped by role (``classify`` names each descendant's)."""
    roles: dict[str, list[int]] = {root_role: [root]}
    for pid, command in descendants(root):
        roles.setdefault(classify(command), []).append(pid)
    return roles


def cpu_by_role(roles: dict[str, list[int]]) -> dict[str, float]:
    """CPU seconds so far of each role's processes (those gone count 0)."""
    return {role: sum(cpu_seconds(pid) for pid in pids) for role, pids in roles.items()}


class RoleCpu:
    """CPU each role spent between ``start()`` and ``stop()`` (processes started between count
    from 0; the calling process can be one of the roles, e.g. the benchmark's own client)."""

    def __init__(self, roots: Callable[[], dict[str, list[int]]]) -> None:
        self.roots = roots
        self._before: dict[int, float] = {}
        self.seconds: dict[str, float] = {}

    def start(self) -> None:
        self._before = {pid: cpu_seconds(pid) for pids in self.roots().values() for pid in pids}

    def stop(self) -> dict[str, float]:
        self.seconds = {
            role: sum(max(0.0, cpu_seconds(pid) - self._before.get(pid, 0.0)) for pid in pids)
            for role, pids in self.roots().items()
        }
        return self.seconds

"""System calls a set of processes makes, counted per role with ``perf stat`` (Linux).

What a request costs differs between machines mostly with what a system call costs there (a VM's
exits, mitigations), so the benchmarks count them: ``perf stat -e raw_syscalls:sys_enter
--per-thread -p <pids>`` over a sample, each thread's count added to its process's role. Where perf
is missing or not permitted (``perf_event_paranoid``, containers), ``unavailable()`` says why and the
benchmark reports the reason instead of figures.
"""

from __future__ import annotations

import os
import select
import shutil
import signal
import subprocess
from pathlib import Path

EVENT = "raw_syscalls:sys_enter"
ACK_TIMEOUT_S = 30


def unavailable() -> str | None:
    """Why syscalls cannot be counted here, or None when they can."""
    if shutil.which("perf") is None:
        return "perf is not installed"
    probe = subprocess.run(
        ["perf", "stat", "-x", ",", "-e", EVENT, "true"],
        check=False,
        capture_output=True,
        text=True,
        timeout=30,
    )
    first = probe.stderr.strip().splitlines()[:1]
    if probe.returncode != 0 or not first or not first[0].split(",")[0].isdigit():
        return f"perf stat -e {EVENT} is not permitted or not supported: {probe.stderr.strip()[:200]}"
    return None


def _threads(pid: int) -> list[int]:
    try:
        return [int(task.name) for task in Path(f"/proc/{pid}/task").iterdir()]
    except OSError:
        return []


class SyscallCount:
    """``with SyscallCount(roles) as count: ...`` then ``count.by_role``: syscalls made inside.

    perf attaches with its events off and counts between an ``enable`` and a ``disable`` sent on its
    control pipe, each acknowledged, so the count covers exactly the block, however slowly perf
    attaches on a loaded machine."""

    def __init__(self, roles: dict[str, list[int]]) -> None:
        self.role_of = {tid: role for role, pids in roles.items() for pid in pids for tid in _threads(pid)}
        self.by_role: dict[str, int] = dict.fromkeys(roles, 0)
        self._perf: subprocess.Popen[str] | None = None
        self._control = os.pipe()
        self._ack = os.pipe()

    def _command(self, command: bytes) -> None:
        os.write(self._control[1], command + b"\n")
        ready, _, _ = select.select([self._ack[0]], [], [], ACK_TIMEOUT_S)
        if not ready or not os.read(self._ack[0], 16).startswith(b"ack"):
            raise RuntimeError(f"perf did not acknowledge {command.decode()!r} in {ACK_TIMEOUT_S} s")

    def __enter__(self) -> SyscallCount:
        tids = ",".join(str(tid) for tid in self.role_of)
        control, ack = self._control[0], self._ack[1]
        self._perf = subprocess.Popen(
            ["perf", "stat", "-x", ",", "--per-thread", "-D", "-1", "--control", f"fd:{control},{ack}",
             "-e", EVENT, "-t", tids],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, pass_fds=(control, ack),
        )  # fmt: skip
        self._command(b"enable")
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._perf is not None
        try:
            self._command(b"disable")
        finally:
            self._perf.send_signal(signal.SIGINT)
            _, errors = self._perf.communicate(timeout=30)
            for fd in (*self._control, *self._ack):
                os.close(fd)
        for line in errors.splitlines():
            fields = line.split(",")
            if len(fields) < 4 or fields[3] != EVENT or not fields[1].isdigit():
                continue
            tid = int(fields[0].rsplit("-", 1)[1])
            role = self.role_of.get(tid)
            if role is not None:
                self.by_role[role] += int(fields[1])

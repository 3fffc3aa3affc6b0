"""System calls a set of processes makes, counted per role with ``perf stat`` (Linux).

What a request costs differs between machines mostly with what a system call costs there (a VM's
exits, mitigations), so the benchmarks count them: one ``perf stat -e raw_syscalls:sys_enter
-p <pids>`` per role over a sample (threads started during it, such as moto's one per connection,
count with their process). Where perf is missing or not permitted (``perf_event_paranoid``,
containers), ``unavailable()`` says why and the benchmark reports the reason instead of figures.
"""

from __future__ import annotations

import os
import select
import shutil
import signal
import subprocess
import time

EVENT = "raw_syscalls:sys_enter"
ACK_TIMEOUT_S = 60
ATTACH_ATTEMPTS = 5


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


class SyscallCountError(RuntimeError):
    """perf could not count here (the benchmark reports the reason instead of figures)."""


class _RolePerf:
    """One ``perf stat`` on a role's processes, attached with its events off and counting between an
    ``enable`` and a ``disable`` sent on its control pipe, each acknowledged: the count covers exactly
    the sample, however slowly perf attaches on a loaded machine."""

    def __init__(self, pids: list[int]) -> None:
        self.control, self.ack = os.pipe(), os.pipe()
        self.process = subprocess.Popen(
            ["perf", "stat", "-x", ",", "-D", "-1", "--control", f"fd:{self.control[0]},{self.ack[1]}",
             "-e", EVENT, "-p", ",".join(map(str, pids))],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
            pass_fds=(self.control[0], self.ack[1]),
        )  # fmt: skip

    def command(self, command: bytes) -> None:
        os.write(self.control[1], command + b"\n")
        deadline = time.monotonic() + ACK_TIMEOUT_S
        while time.monotonic() < deadline:
            ready, _, _ = select.select([self.ack[0]], [], [], 0.2)
            if ready and os.read(self.ack[0], 16).startswith(b"ack"):
                return
            if self.process.poll() is not None:
                raise SyscallCountError(
                    f"perf stat exited with {self.process.returncode}: {self.finish()[-300:]}"
                )
        raise SyscallCountError(f"perf did not acknowledge {command.decode()!r} in {ACK_TIMEOUT_S} s")

    def finish(self) -> str:
        """Stop perf; what it printed."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        _, errors = self.process.communicate(timeout=30)
        for fd in (*self.control, *self.ack):
            os.close(fd)
        return errors

    @staticmethod
    def count(output: str) -> int:
        for line in output.splitlines():
            fields = line.split(",")
            if len(fields) >= 3 and fields[2] == EVENT and fields[0].isdigit():
                return int(fields[0])
            if len(fields) >= 3 and fields[2] == EVENT and fields[0] == "<not counted>":
                return 0  # the processes never ran while counting (an idle stand-in)
        raise SyscallCountError(f"no {EVENT} count in perf's output: {output[-300:]}")


def _attached(pids: list[int]) -> _RolePerf:
    """perf on ``pids``, retried: a thread that ends while perf attaches to it fails the attach."""
    for _ in range(ATTACH_ATTEMPTS - 1):
        perf = _RolePerf(pids)
        try:
            perf.command(b"enable")
            return perf
        except SyscallCountError:
            continue
    perf = _RolePerf(pids)
    perf.command(b"enable")
    return perf


class SyscallCount:
    """``with SyscallCount(roles) as count: ...`` then ``count.by_role``: syscalls made inside."""

    def __init__(self, roles: dict[str, list[int]]) -> None:
        self.roles = {role: pids for role, pids in roles.items() if pids}
        self.by_role: dict[str, int] = dict.fromkeys(roles, 0)
        self._perfs: dict[str, _RolePerf] = {}

    def __enter__(self) -> SyscallCount:
        try:
            for role, pids in self.roles.items():
                self._perfs[role] = _attached(pids)
        except SyscallCountError:
            for perf in self._perfs.values():
                perf.finish()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        for perf in self._perfs.values():
            perf.command(b"disable")
        for role, perf in self._perfs.items():
            self.by_role[role] = perf.count(perf.finish())

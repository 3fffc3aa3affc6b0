"""Max Memory Used: how an execution environment's memory is read from /proc."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import pytest

from local.services.lambda_ import memory
from local.services.lambda_.memory import ProcessMemory

# A process that touches 64 MiB, frees it, says so, and waits for stdin to close.
BALLOON = """
import sys
block = bytearray(64 * 1024 * 1024)
for i in range(0, len(block), 4096):
    block[i] = 1
del block
print("freed", flush=True)
sys.stdin.read()
"""


@pytest.fixture
def balloon() -> Iterator[subprocess.Popen[str]]:
    process = subprocess.Popen(
        [sys.executable, "-c", BALLOON], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "freed"
    yield process
    assert process.stdin is not None
    process.stdin.close()
    process.wait(10)


def test_a_long_invocation_reports_the_kernels_peak_even_after_the_memory_was_freed(
    balloon: subprocess.Popen[str],
) -> None:
    # Given a process that used 64 MiB and gave it back
    reader = ProcessMemory(balloon.pid)
    try:
        # When the peak is read after an invocation of 10 ms or more
        peak = reader.peak_mib(invocation_s=memory.LONG_INVOCATION_S)
        current = reader.current_mib()
        # Then it is the high-water mark, above what the process holds now
        assert peak is not None
        assert current is not None
        assert peak >= 64
        assert current < peak - 32
    finally:
        reader.close()


def test_short_invocations_read_the_current_size_until_the_peak_is_due_again(
    balloon: subprocess.Popen[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a reader whose last peak reading is fresh, and a clock we move by hand
    now = [1000.0]
    monkeypatch.setattr(memory.time, "monotonic", lambda: now[0])
    reader = ProcessMemory(balloon.pid)
    try:
        reader._peak_read_at = now[0]
        # When a short invocation ends within the peak interval
        short = reader.peak_mib(invocation_s=0.001)
        # Then the figure is the current size (the peak it has not re-read yet is missing)
        assert short is not None
        assert short < 64
        # When the interval has passed, even a short invocation re-reads the peak
        now[0] += memory.PEAK_EVERY_S
        later = reader.peak_mib(invocation_s=0.001)
        assert later is not None
        assert later >= 64
        # And the figure never goes down again
        assert reader.peak_mib(invocation_s=0.001) == later
    finally:
        reader.close()


def test_readings_of_an_ended_process_are_none() -> None:
    # Given a process that has ended and been reaped
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    reader = ProcessMemory(process.pid)
    process.wait(10)
    # When it is read, or read after close
    # Then there is no figure (REPORT says 0 MB), and nothing raises
    assert reader.peak_mib() is None
    reader.close()
    assert reader.current_mib() is None
    reader.close()  # twice is harmless

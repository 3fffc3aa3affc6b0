"""For developers: ``LOCAL_PROFILE=<file> make up`` writes a CPU profile of the up process (pstats)."""

from __future__ import annotations

import cProfile
import os
import time
from collections.abc import Callable


def run(main: Callable[[], int]) -> int:
    """``main()``, under the profiler when ``LOCAL_PROFILE`` names a file (written when it returns)."""
    profile = os.environ.get("LOCAL_PROFILE")
    if not profile:
        return main()
    profiler = cProfile.Profile(time.process_time)  # CPU time: waiting for the children is not cost
    try:
        return profiler.runcall(main)
    finally:
        profiler.dump_stats(profile)

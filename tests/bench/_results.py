"""Where benchmark results go and how samples are summarised."""

from __future__ import annotations

import json
import os
import platform
import statistics
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
RESULTS_DIR = REPO / "build" / "bench"


def write(name: str, payload: dict[str, Any]) -> Path:
    """``build/bench/<name>.json`` with the machine it was measured on."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{name}.json"
    document = {"benchmark": name, "measured_at": datetime.now(UTC).isoformat(timespec="seconds")}
    document["machine"] = machine()
    document.update(payload)
    path.write_text(json.dumps(document, indent=2) + "\n")
    return path


def machine() -> dict[str, Any]:
    return {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "load_average_1m": round(os.getloadavg()[0], 2),
    }


def percentile(samples: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile: a value that was actually measured."""
    ordered = sorted(samples)
    rank = max(1, -(-int(fraction * 1000) * len(ordered) // 1000))  # ceil(fraction * n)
    return ordered[min(rank, len(ordered)) - 1]


def summarize(samples_ms: Sequence[float]) -> dict[str, float | int]:
    return {
        "n": len(samples_ms),
        "median_ms": round(statistics.median(samples_ms), 1),
        "p90_ms": round(percentile(samples_ms, 0.9), 1),
        "min_ms": round(min(samples_ms), 1),
        "max_ms": round(max(samples_ms), 1),
    }


def goal_line(goal: str, target: str, measured: float, met: bool) -> str:
    """One goal beside what was measured, for the console."""
    return f"  {'met    ' if met else 'NOT MET'}  {goal:<58} {target:>7}  measured {measured:.2f}"

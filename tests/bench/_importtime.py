"""``python -X importtime`` output, read: where a cold start's import time goes.

Each stderr line is ``import time: <self us> | <cumulative us> | <indent><module>``; ``self`` is
the module's own find + compile/load + execution, ``cumulative`` adds what it imported.
"""

from __future__ import annotations

import re
import statistics
import sys
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

_LINE = re.compile(r"^import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)\s*$")

# What the Lambda python runtime itself provides (under /var/runtime), as opposed to the layer.
RUNTIME_SDK = frozenset({"boto3", "botocore", "s3transfer", "urllib3", "dateutil", "six"})


@dataclass(frozen=True)
class ImportRecord:
    module: str
    self_us: int
    cumulative_us: int
    depth: int


def parse(stderr: str) -> list[ImportRecord]:
    records = []
    for line in stderr.splitlines():
        match = _LINE.match(line)
        if match:
            self_us, cumulative_us, indent, module = match.groups()
            records.append(ImportRecord(module, int(self_us), int(cumulative_us), len(indent) // 2))
    return records


def group_of(module: str) -> str:
    top = module.split(".", maxsplit=1)[0]
    if top in sys.stdlib_module_names or top.startswith("_"):
        return "stdlib"
    if top in RUNTIME_SDK:
        return f"{top} (runtime)"
    return top


def by_group(records: Iterable[ImportRecord]) -> dict[str, float]:
    """Milliseconds of *self* time per top-level package: each import counted exactly once."""
    totals: dict[str, float] = defaultdict(float)
    for record in records:
        totals[group_of(record.module)] += record.self_us / 1000
    return dict(totals)


def median_groups(runs: Sequence[list[ImportRecord]]) -> dict[str, float]:
    """Per-group median over runs (a group missing from a run counts as 0 there)."""
    per_run = [by_group(run) for run in runs]
    groups = {group for run in per_run for group in run}
    medians = {group: statistics.median(run.get(group, 0.0) for run in per_run) for group in groups}
    return dict(sorted(((g, round(ms, 1)) for g, ms in medians.items()), key=lambda item: -item[1]))


def top_cumulative(
    runs: Sequence[list[ImportRecord]], count: int, max_depth: int = 2
) -> list[dict[str, object]]:
    """The heaviest imports near the root of the tree (median cumulative ms over runs)."""
    samples: dict[str, list[float]] = defaultdict(list)
    for run in runs:
        for record in run:
            if record.depth <= max_depth:
                samples[record.module].append(record.cumulative_us / 1000)
    ranked = sorted(((statistics.median(ms), module) for module, ms in samples.items()), reverse=True)
    return [{"module": module, "cumulative_ms": round(ms, 1)} for ms, module in ranked[:count]]


def top_self(runs: Sequence[list[ImportRecord]], count: int) -> list[dict[str, object]]:
    """The modules whose own import (load, compile, execute) costs most (median self ms over runs)."""
    samples: dict[str, list[float]] = defaultdict(list)
    for run in runs:
        for record in run:
            samples[record.module].append(record.self_us / 1000)
    ranked = sorted(((statistics.median(ms), module) for module, ms in samples.items()), reverse=True)
    return [
        {"module": module, "group": group_of(module), "self_ms": round(ms, 1)}
        for ms, module in ranked[:count]
    ]

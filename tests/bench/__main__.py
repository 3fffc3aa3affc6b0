"""``python -m tests.bench [NAME [ARGS...]] | --list``: run one benchmark (ARGS go to it) or all."""

from __future__ import annotations

import importlib
import json
import pkgutil
import sys
from types import ModuleType

import tests.bench as package


def benchmark_names() -> list[str]:
    return sorted(
        info.name
        for info in pkgutil.iter_modules(package.__path__)
        if not info.name.startswith("_") and not info.ispkg
    )


def load(name: str) -> ModuleType:
    return importlib.import_module(f"{package.__name__}.{name}")


def summary(module: ModuleType) -> str:
    """The docstring's first paragraph, on one line."""
    return " ".join((module.__doc__ or "").strip().split("\n\n")[0].split())


def main(argv: list[str]) -> int:
    names = benchmark_names()
    if argv and argv[0] in {"-h", "--help", "--list"}:
        print(__doc__)
        for name in names:
            print(f"  {name:<12} {summary(load(name))}")
        return 0
    if argv:
        if argv[0] not in names:
            print(f"unknown benchmark {argv[0]!r}; known: {', '.join(names)}", file=sys.stderr)
            return 2
        return int(load(argv[0]).main(argv[1:]))
    status = 0
    for name in names:
        print(f"==> bench {name}")
        status = max(status, int(load(name).main([])))
    print_goals()
    return status


def print_goals() -> None:
    """Issue 16's goals beside what this run measured (from the JSON just written)."""
    from tests.bench._results import RESULTS_DIR, goal_line

    rows = []
    gateway = RESULTS_DIR / "local_gateway.json"
    if gateway.exists():
        rows += [
            (g["goal"], g["target"], g["measured"], g["met"])
            for g in json.loads(gateway.read_text())["goals"]
        ]
    coldstart = RESULTS_DIR / "coldstart.json"
    if coldstart.exists() and (goal := json.loads(coldstart.read_text()).get("goal")):
        rows.append(
            (
                "cold start postcards ÷ floor, paired",
                f"<= {goal['target']}",
                goal["postcards_over_floor_paired"],
                goal["met"],
            )
        )
    print("\n==> goals (ratios within this run)")
    for row in rows:
        print(goal_line(*row))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

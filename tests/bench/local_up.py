"""make up: a first start on a fresh state folder and a second one with nothing changed, timed to
the printed URLs and to the end of their Terraform apply.

Runs ``python -m local up`` (what ``make up`` runs after its build step; that step, with the zips up
to date, is timed on its own as ``build_step_s``) on free ports in a temporary state folder, for
``--rounds`` rounds:

- ``first``: fresh state, dependencies cached: seconds until endpoints.json names the cloud (its URLs
  are printed then) and until its apply has ended in the background;
- ``again``: stopped, then started on the same state folder and ports: seconds to the URLs, until the
  background apply has confirmed, and whether that apply changed anything (it must not).

Goals (issue 5): first <= 60 s, again <= 15 s. Loopback only. Writes build/bench/local_up.json.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from local.config import from_environment
from tests.bench._results import REPO, write
from tests.local.cloud_support import free_ports, start_cloud, stop_cloud

BACKGROUND_DONE = "==> terraform (background"
GOALS_S = {"first": 60.0, "again": 15.0}


def _build_step_s() -> float:
    """``make build`` for the host, as ``make up`` runs it first (nothing to rebuild)."""
    started = time.monotonic()
    subprocess.run(
        ["make", "--no-print-directory", "-s", "build", f"ARCH={from_environment().architecture}"],
        cwd=REPO,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return time.monotonic() - started


def _start(directory: Path, flags: list[str]) -> dict[str, Any]:
    """One start: seconds to URLs and to the end of the background apply, and what that apply said."""
    started = time.monotonic()
    cloud = start_cloud(directory, *flags)
    urls_s = time.monotonic() - started
    try:
        log = cloud.wait_for_log(BACKGROUND_DONE, timeout_s=300)
        applied_s = time.monotonic() - started
        summary = log.split(BACKGROUND_DONE, 1)[1].splitlines()[0]
    finally:
        stop_cloud(cloud)
    return {
        "urls_s": round(urls_s, 1),
        "apply_done_s": round(applied_s, 1),
        "background_apply": summary.split(": ", 1)[-1],
        "changed": "Resources: 0 added, 0 changed, 0 destroyed" not in summary,
    }


def _round(work: Path) -> dict[str, Any]:
    # The same ports both times: Terraform's inputs name the public URLs (the HTTPS port's too), so
    # another port would be a change to apply, not the fast start this measures.
    names = ("edge", "controlplane", "container-api", "apigateway", "site", "https")
    flags = [f"--{name}-port={port}" for name, port in zip(names, free_ports(len(names)), strict=True)]
    flags += ["--state-dir", str(work / "state"), "--console-logs", "none"]
    first = _start(work / "first", flags)
    again = _start(work / "again", flags)
    return {"first": first, "again": again}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.bench local_up")
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args(argv)

    build_s = _build_step_s()
    rounds = []
    for number in range(args.rounds):
        with tempfile.TemporaryDirectory(prefix="bench-up-") as work:
            rounds.append(_round(Path(work)))
        print(f"round {number + 1}: {rounds[-1]}", file=sys.stderr)

    result: dict[str, Any] = {"build_step_s": round(build_s, 1), "rounds": rounds}
    for phase, goal in GOALS_S.items():
        urls = statistics.median(r[phase]["urls_s"] for r in rounds) + build_s
        result[phase] = {
            "median_to_urls_s": round(urls, 1),
            "median_apply_done_s": round(statistics.median(r[phase]["apply_done_s"] for r in rounds), 1),
            "goal_s": goal,
            "met": urls <= goal,
        }
    result["again_changed_nothing"] = not any(r["again"]["changed"] for r in rounds)
    path = write("local_up", result)
    print(f"{path}: first {result['first']}, again {result['again']}")
    return 0

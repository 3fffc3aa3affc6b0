"""Where experiments write their results: ``build/chaos/<experiment>.json``, and ``REPORT.md``, a
short human-readable table of every result in that folder (rewritten after each experiment)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[3]


def results_dir() -> Path:
    return Path(os.environ.get("CHAOS_RESULTS_DIR", ROOT / "build" / "chaos"))


def write(result: dict[str, Any]) -> Path:
    folder = results_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{result['experiment']}.json"
    path.write_text(json.dumps(result, indent=2, sort_keys=True) + "\n")
    (folder / "REPORT.md").write_text(render(_results(folder)))
    return path


def _results(folder: Path) -> list[dict[str, Any]]:
    results = []
    for path in sorted(folder.glob("*.json")):
        try:
            results.append(json.loads(path.read_text()))
        except ValueError:
            continue  # being written by a parallel run
    return results


def render(results: list[dict[str, Any]]) -> str:
    lines = [
        "# Chaos experiments",
        "",
        "Each experiment measured its steady state before the fault, under it, and after it was",
        "removed (`make chaos` for the long runs; JSON beside this file).",
        "",
        "| experiment | fault | verdict | error rate before / during / after "
        "| p99 ms before / during / after | writes lost / duplicated (during) | recovered in |",
        "|---|---|---|---|---|---|---|",
    ]
    for result in results:
        phases = result.get("phases", {})
        during = phases.get("during", {})
        writes = during.get("writes", {})
        recovered = result.get("recovered_after_s")
        lines.append(
            "| {name} | {fault} | **{verdict}** | {errors} | {p99} | {lost} / {dup} | {recovered} |".format(
                name=result["experiment"],
                fault=result["fault"]["description"],
                verdict=result["verdict"],
                errors=" / ".join(_figure(phases, p, "error_rate", percent=True) for p in _PHASES),
                p99=" / ".join(_figure(phases, p, "latency_ms.p99") for p in _PHASES),
                lost=writes.get("acknowledged_not_stored", "-"),
                dup=writes.get("stored_more_than_once", "-"),
                recovered="-" if recovered is None else f"{recovered:.1f} s",
            )
        )
    lines.append("")
    for result in results:
        lines += [f"## {result['experiment']}", "", f"Hypothesis: {result['hypothesis']['statement']}", ""]
        for phase, problems in result.get("violations", {}).items():
            lines += [f"- {phase}: {problem}" for problem in problems]
        during = result.get("phases", {}).get("during", {})
        if during:
            writes = during.get("writes", {})
            lines.append(
                f"- during the fault: {during.get('operations')} operations in {during.get('elapsed_s')} s, "
                f"attempt statuses `{json.dumps(during.get('attempt_statuses', {}), sort_keys=True)}`, "
                f"{writes.get('acknowledged')} writes acknowledged, {writes.get('stored')} stored"
            )
        observed = during.get("observed")
        if observed:
            lines.append(f"- observed during the fault: `{json.dumps(observed, sort_keys=True)}`")
        lines.append("")
    return "\n".join(lines)


_PHASES = ("before", "during", "after")


def _figure(phases: dict[str, Any], phase: str, path: str, *, percent: bool = False) -> str:
    value: Any = phases.get(phase, {})
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    if value is None:
        return "-"
    return f"{value:.1%}" if percent else f"{value:.0f}"

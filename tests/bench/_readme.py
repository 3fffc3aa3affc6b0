"""``python -m tests.bench._readme``: the README's benchmark tables, regenerated from build/bench/*.json.

Each table sits between ``<!-- bench:NAME -->`` and ``<!-- /bench:NAME -->`` in README.md and is
rewritten from that benchmark's JSON, with the machine and load it was measured on; a benchmark
without JSON keeps its table. ``--check`` only says whether the README is up to date. Numbers in the
README come from here, never by hand.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.bench._results import REPO, RESULTS_DIR

README = REPO / "README.md"


def _machine(document: dict[str, Any]) -> str:
    machine = document["machine"]
    return (
        f"_{document['benchmark']}, {document['measured_at'].replace('T', ' ').removesuffix('+00:00')} UTC: "
        f"{machine['cpus']}-CPU {machine['machine']}, Python {machine['python']}, "
        f"load average {machine['load_average_1m']} (1 min, at the end; the machine is shared: "
        "compare ratios within one run)._"
    )


def _table(header: list[str], rows: list[list[Any]]) -> str:
    lines = [
        "| " + " | ".join(header) + " |",
        "|" + "|".join("---" if i == 0 else "---:" for i in range(len(header))) + "|",
    ]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def _n(value: float | None, digits: int = 0) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def coldstart(document: dict[str, Any]) -> str:
    rows = []
    for name, data in document["variants"].items():
        rows.append(
            [
                name,
                _n(data["total"]["median_ms"]),
                f"{data['ratio_to_floor']:.2f}",
                f"{data['paired_ratio_to_floor_median']:.2f}",
                _n(data["cpu"]["median_ms"]),
                f"{data['cpu_ratio_to_floor']:.2f}",
            ]
        )
    table = _table(["variant", "wall ms", "\u00d7 floor", "paired", "CPU ms", "\u00d7 floor"], rows)
    goal = document.get("goal") or {}
    verdict = ""
    if "postcards_over_floor_paired" in goal:
        met = "met" if goal["met"] else "**not met**"
        paired = goal["postcards_over_floor_paired"]
        verdict = f"\n\nGoal postcards <= {goal['target']} x the floor, paired: {met} ({paired:.2f})."
        if "postcards_over_floor_cpu_paired" in goal:
            verdict += f" CPU time, paired: {goal['postcards_over_floor_cpu_paired']:.2f} x the floor's."
    setup = document["setup"]
    at_start = (
        f" Load average at the start: {setup['load_average_1m_at_start']}."
        if "load_average_1m_at_start" in setup
        else ""
    )
    return f"{_machine(document)}{at_start} {setup['rounds']} rounds, medians.\n\n{table}{verdict}"


ROLE_NAMES = {
    "client": "client",
    "up": "up process",
    "environments": "execution environments",
    "moto": "moto",
    "node": "node",
    "python": "python children",
    "other": "other",
}


def local_gateway(document: dict[str, Any]) -> str:
    sides = [
        ("ours", "ours, untraced"),
        ("ours_traced", "ours, traced"),
        ("serverless_offline", "serverless-offline"),
    ]
    rows: list[list[Any]] = []
    for label, kind, metric, digits in (
        ("1 client: p50 ms", "sequential", "p50_ms", 2),
        ("1 client: p99 ms", "sequential", "p99_ms", 1),
        ("8 clients: p50 ms", "concurrent", "p50_ms", 2),
        ("8 clients: p99 ms", "concurrent", "p99_ms", 1),
        ("8 clients: requests/s", "concurrent", "requests_per_s", 0),
        ("server CPU µs per request", "concurrent", "server_cpu_us_per_request", 0),
    ):
        row = [label] + [_n(document[side][kind][metric], digits) for side, _ in sides]
        key = {"p50_ms": "p50", "p99_ms": "p99"}.get(metric)
        ratio_key = (
            f"{kind}_{key}"
            if key
            else ("concurrent_requests_per_s" if metric == "requests_per_s" else "server_cpu_per_request")
        )
        row.append(f"{document['ratios_ours_traced_over_serverless_offline'][ratio_key]:.2f}")
        rows.append(row)
    rows.append(["first request ms (cold)"] + [_n(document[s]["first_request_ms"]) for s, _ in sides] + [""])
    side_table = _table(["", *(name for _, name in sides), "traced ÷ theirs"], rows)
    goals = _table(
        ["goal", "target", "measured", ""],
        [
            [g["goal"], g["target"], f"{g['measured']:.2f}", "met" if g["met"] else "**not met**"]
            for g in document["goals"]
        ],
    )
    roles = sorted(
        {r for s, _ in sides for r in document[s]["concurrent"]["cpu_us_per_request"]},
        key=list(ROLE_NAMES).index,
    )
    per_role = []
    for role in roles:
        cells = [ROLE_NAMES[role]]
        for side, _ in sides:
            cpu = document[side]["concurrent"]["cpu_us_per_request"].get(role)
            calls = document[side].get("syscalls_per_request", {}).get(role)
            cells.append(
                ""
                if cpu is None
                else f"{_n(cpu)} µs" + (f", {_n(calls, 1)} syscalls" if calls is not None else "")
            )
        per_role.append(cells)
    roles_table = _table(["per request, 8 clients", *(name for _, name in sides)], per_role)
    cards = document["postcards"], document["postcards_untraced"]
    cards_rows = [
        [
            name,
            _n(run["concurrent"]["requests_per_s"]),
            _n(run["sequential"]["p99_ms"], 1),
            _n(run["concurrent"]["p99_ms"], 1),
            *(
                _n(run["concurrent"]["cpu_us_per_request"].get(role))
                for role in ("up", "environments", "moto")
            ),
            _n(run.get("init_duration_ms")),
        ]
        for name, run in (
            ("trivial handler, traced", document["ours_traced"]),
            ("postcards, untraced", cards[1]),
            ("postcards, as deployed", cards[0]),
        )
    ]
    cards_table = _table(
        [
            "`GET /v1/instance`",
            "8 clients req/s",
            "1 client p99 ms",
            "8 clients p99 ms",
            "up µs",
            "environments µs",
            "moto µs",
            "Init Duration ms",
        ],
        cards_rows,
    )
    return "\n\n".join(
        [
            _machine(document) + f" Medians of {document['rounds']} alternating rounds.",
            goals,
            side_table,
            roles_table,
            cards_table,
        ]
    )


def local_invoke(document: dict[str, Any]) -> str:
    concurrent, cold = document["concurrent"], document["cold_start"]
    return (
        _machine(document)
        + "\n\n"
        + _table(
            ["Invoke through the edge", "figure"],
            [
                [
                    "1 client p50 / p99 ms",
                    f"{document['sequential']['p50_ms']:.2f} / {document['sequential']['p99_ms']:.1f}",
                ],
                [
                    f"{concurrent['clients']} clients req/s (p50 / p99 ms)",
                    f"{_n(concurrent['requests_per_s'])} "
                    f"({concurrent['p50_ms']:.1f} / {concurrent['p99_ms']:.1f})",
                ],
                [
                    "CPU µs per request: up process / environments",
                    f"{_n(concurrent['cloud_process_cpu_us_per_request'])} / "
                    f"{_n(concurrent['environments_cpu_us_per_request'])}",
                ],
                [
                    "cold start: first response / Init Duration ms",
                    f"{_n(cold['first_response_ms_median'], 1)} / {_n(cold['init_duration_ms_median'], 1)}",
                ],
            ],
        )
    )


def apigateway_overhead(document: dict[str, Any]) -> str:
    rows = [
        [
            name.replace("_", " "),
            _n(document[name]["req_per_s"]),
            f"{document[name]['p50_ms']:.2f}",
            _n(document[name]["server_cpu_us_per_request"], 1),
        ]
        for name in ("bare_aiohttp", "bare_http1", "gateway_instant_invoker")
    ]
    return _machine(document) + "\n\n" + _table(["server", "req/s", "p50 ms", "server CPU µs/request"], rows)


def local_up(document: dict[str, Any]) -> str:
    rows = []
    for phase, label in (("first", "first start, fresh state"), ("again", "again, nothing changed")):
        data = document[phase]
        rows.append(
            [label, _n(data["median_to_urls_s"], 1), _n(data["median_apply_done_s"], 1), _n(data["goal_s"]),
             "met" if data["met"] else "**not met**"]
        )  # fmt: skip
    table = _table(["`make up`", "s to URLs", "s to background apply done", "goal s", ""], rows)
    return f"{_machine(document)}\n\n{table}"


IMPORT_VARIANTS = {
    "shipped": "as shipped (our X-Ray provider)",
    "untraced": "tracing off (no provider at all)",
    "xray_sdk": "the X-Ray SDK as Tracer's provider (as shipped before issue 16)",
    "own_bytecode": "our modules from bytecode, not source",
    "lazy_inits": "Powertools with lazy `event_handler` and `data_classes` `__init__`s (upstream)",
}


def import_costs(document: dict[str, Any]) -> str:
    rows = [
        [IMPORT_VARIANTS.get(name, name), _n(data["cpu_ms_median"], 1), f"{data['paired_over_shipped']:.2f}"]
        for name, data in document["variants"].items()
    ]
    table = _table(["`import postcards.handler`, boto3 preloaded", "CPU ms", "paired \u00d7 shipped"], rows)
    whole = document["whole_import_cpu_ms_median"]
    return (
        f"{_machine(document)} {document['rounds']} rounds, medians.\n\n{table}\n\n"
        f"The whole handler import, boto3 included, takes {_n(whole, 1)} ms CPU on this run."
    )


RENDERERS: dict[str, Callable[[dict[str, Any]], str]] = {
    "import_costs": import_costs,
    "local_gateway": local_gateway,
    "coldstart": coldstart,
    "local_invoke": local_invoke,
    "apigateway_overhead": apigateway_overhead,
    "local_up": local_up,
}


def render(readme: str, results: Path = RESULTS_DIR) -> str:
    for name, renderer in RENDERERS.items():
        path = results / f"{name}.json"
        if not path.exists():
            continue
        block = renderer(json.loads(path.read_text()))
        pattern = re.compile(rf"(<!-- bench:{name} -->\n)(?:.*?\n)?(<!-- /bench:{name} -->)", re.DOTALL)
        readme = pattern.sub(lambda match, b=block: match[1] + b + "\n" + match[2], readme)
    return readme


def main(argv: list[str]) -> int:
    current = README.read_text()
    updated = render(current)
    if "--check" in argv:
        print("README benchmark tables are up to date" if updated == current else "README tables are stale")
        return 0 if updated == current else 1
    README.write_text(updated)
    print(f"{README.relative_to(REPO)}: benchmark tables regenerated from {RESULTS_DIR.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

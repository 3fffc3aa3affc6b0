"""``python -m tests.local.api [--clients N] [--operations N] [--seconds S] ...`` (``make load``).

The long versions of the load and the schema fuzzing that ``make test`` runs short, on a local cloud
of their own (free loopback ports, state under build/load/cloud), stopped at the end. Bounded: the
load by ``--operations`` and ``--seconds``, the fuzzing by its example counts. Writes
build/load/load.json and build/load/fuzz.json; exits 1 when a write was lost or duplicated, a fuzz
check failed, or rejected input was stored.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path
from typing import Any

from tests.bench._results import machine
from tests.local.api import fuzz, load
from tests.local.api.conftest import Api
from tests.local.cloud_support import ROOT, start_cloud, stop_cloud

RESULTS = ROOT / "build" / "load"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.local.api", description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=0, help="default: reserved concurrency x 3")
    parser.add_argument("--operations", type=int, default=1500)
    parser.add_argument("--seconds", type=float, default=120.0)
    parser.add_argument("--fuzz-examples", type=int, default=50, help="per operation and mode")
    parser.add_argument("--fuzz-scenarios", type=int, default=40)
    parser.add_argument("--seed", type=int, default=random.randrange(1 << 30), help="default: a fresh one")
    args = parser.parse_args(argv)

    RESULTS.mkdir(parents=True, exist_ok=True)
    print(f"==> local cloud (state in {RESULTS / 'cloud'})", flush=True)
    cloud = start_cloud(RESULTS / "cloud", "--console-logs", "none")
    try:
        api = Api(cloud)
        ok = _load(api, args) & _fuzz(api, args)
    finally:
        stop_cloud(cloud)
    return 0 if ok else 1


def _load(api: Api, args: argparse.Namespace) -> bool:
    reserved = api.reserved_concurrency()
    clients = args.clients or 3 * (reserved or 8)
    print(f"==> load: {clients} clients, reserved concurrency {reserved}", flush=True)
    run, check = load.run_and_verify(
        api.url,
        api.scan_pages("postcards"),
        clients=clients,
        operations=args.operations,
        seconds=args.seconds,
        seed=args.seed,
    )
    figures = load.report(run, check, clients=clients, reserved_concurrency=reserved)
    _write("load", {"seed": args.seed, **figures})
    if not check.exactly_once:
        print(f"error: writes not stored exactly once: {check}", file=sys.stderr)
    return check.exactly_once


def _fuzz(api: Api, args: argparse.Namespace) -> bool:
    print(f"==> fuzz: seed {args.seed}", flush=True)
    before = api.stored()
    schema = fuzz.load_schema(api.url)
    run = fuzz.run_stateless(schema, examples=args.fuzz_examples, seed=args.seed)
    fuzz.run_stateful(schema, scenarios=args.fuzz_scenarios, steps=8, seed=args.seed, run=run)
    after = api.stored()
    grown = {table: after[table] - before[table] for table in after}
    stored_only_acknowledged = grown == {table: run.created[table] for table in grown}
    _write(
        "fuzz",
        {
            "seed": args.seed,
            **run.summary(),
            "stored_growth": grown,
            "stored_only_acknowledged": stored_only_acknowledged,
            "failure_reports": run.failures,
        },
    )
    for report in run.failures.values():
        print(report, file=sys.stderr)
    return not run.failures and stored_only_acknowledged


def _write(name: str, figures: dict[str, Any]) -> Path:
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps({"run": name, "machine": machine(), **figures}, indent=2) + "\n")
    print(f"    {path.relative_to(ROOT)}", flush=True)
    return path


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""Where the postcards function's import time above the floor goes: paired A/B of its handler import.

The cold start's own benchmark (``coldstart``) times the whole cold start; this one takes the
handler's import apart. Each round imports ``postcards.handler`` in a fresh interpreter (``-S``,
the shipped zips unpacked as ``coldstart`` unpacks them, its Lambda environment, tracing on) with
boto3 and ``botocore.client`` already imported — the floor imports them too — and reports the
import's CPU time (robust to other load on a shared machine), for these variants:

- ``shipped``: as deployed (tracing through our X-Ray provider, ``common.xray``);
- ``untraced``: ``POWERTOOLS_TRACE_DISABLED`` (no provider imported, no botocore hooks): our
  provider's share;
- ``xray_sdk``: as shipped before issue 16: the stock Tracer with the X-Ray SDK as its provider,
  patching botocore (a copy of /var/task whose ``make_tracer`` builds the stock Tracer, and a copy
  of the layer with the SDK and wrapt added, compiled as build.sh compiles the layer): what our
  provider saves;
- ``own_bytecode``: the function's modules from bytecode instead of source (a copy of /var/task
  compiled here; the shipped zip holds none, for its size budget): what compiling them costs;
- ``lazy_inits``: a copy of the layer whose ``aws_lambda_powertools.event_handler`` and
  ``aws_lambda_powertools.utilities.data_classes`` ``__init__`` resolve their names on first use
  (PEP 562 module ``__getattr__``, generated from the shipped ones): what that upstream change
  would save. Never shipped.

Rounds alternate the variants' order; ``paired`` is the median of same-round ratios to ``shipped``.
Writes build/bench/import_costs.json.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.bench import _coldstart_scenarios as scenarios
from tests.bench import _results, coldstart
from tests.bench import _variant_trees as trees
from tests.unit.stack import Stack

WORK = _results.RESULTS_DIR / "import_costs"
PRELOADED = "import boto3, botocore.client\n"
TIMED = (
    "import time\nstarted = time.process_time()\nimport postcards.handler\n"
    "print((time.process_time() - started) * 1000)\n"
)


def _import_ms(task: Path, layer: Path, runtime: Path, extra: dict[str, str], preload: bool) -> float:
    env = scenarios.lambda_environment(
        "postcards", "postcards.handler.lambda_handler", str(task), str(runtime)
    )
    env |= scenarios.environment("postcards", Stack())
    env |= {
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONPATH": os.pathsep.join(map(str, (task, layer, runtime))),
        "PATH": os.environ.get("PATH", ""),
    } | extra
    code = (PRELOADED if preload else "") + TIMED
    done = subprocess.run(
        [sys.executable, "-S", "-c", code],
        cwd=task,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"import failed:\n{done.stderr[-2000:]}")
    return float(done.stdout.strip().splitlines()[-1])


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.bench import_costs")
    parser.add_argument("--rounds", type=int, default=9)
    args = parser.parse_args(argv)
    arch = coldstart._host_arch()
    coldstart._build(arch)
    artifacts = _results.REPO / "build" / arch
    layer = coldstart._unpack(artifacts / "layer.zip", WORK / "opt") / "python"
    task = coldstart._unpack(artifacts / "postcards.zip", WORK / "task")
    runtime = coldstart._runtime_dir(WORK / "runtime")
    variants: dict[str, tuple[Path, Path, Path, dict[str, str]]] = {
        "shipped": (task, layer, runtime, {}),
        "untraced": (task, layer, runtime, {"POWERTOOLS_TRACE_DISABLED": "true"}),
        "xray_sdk": (
            trees.task_with_the_xray_sdk(task, WORK / "task-xray-sdk"),
            trees.layer_with_xray_sdk(layer, WORK / "opt-xray-sdk" / "python"),
            runtime,
            {},
        ),
        "own_bytecode": (trees.compiled(task, WORK / "task-bytecode"), layer, runtime, {}),
        "lazy_inits": (task, trees.lazy_layer(layer, WORK / "opt-lazy"), runtime, {}),
    }
    samples: dict[str, list[float]] = {name: [] for name in variants}
    whole: list[float] = []
    names = list(variants)
    for number in range(args.rounds):
        for name in names if number % 2 == 0 else names[::-1]:
            samples[name].append(_import_ms(*variants[name], preload=True))
        whole.append(_import_ms(task, layer, runtime, {}, preload=False))
    shipped = samples["shipped"]
    result: dict[str, Any] = {
        "rounds": args.rounds,
        "measure": "CPU ms of `import postcards.handler`, boto3 and botocore.client imported first",
        "whole_import_cpu_ms_median": round(statistics.median(whole), 1),
        "variants": {
            name: {
                "cpu_ms_median": round(statistics.median(values), 1),
                "paired_over_shipped": round(
                    statistics.median(v / s for v, s in zip(values, shipped, strict=True)), 3
                ),
                "samples_cpu_ms": [round(v, 1) for v in values],
            }
            for name, values in samples.items()
        },
    }
    path = _results.write("import_costs", result)
    for name, data in result["variants"].items():
        paired = data["paired_over_shipped"]
        print(f"  {name:<14} {data['cpu_ms_median']:>7.1f} ms CPU   paired x shipped {paired:.3f}")
    print(
        f"  whole handler import (nothing preloaded): {result['whole_import_cpu_ms_median']} ms CPU; {path}"
    )
    return 0

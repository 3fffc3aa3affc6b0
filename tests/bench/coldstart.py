"""Cold start of each function (fresh interpreter: imports + init + first invocation) beside the
floor (boto3 alone, same call) and a naive eager-import handler; -X importtime attribution; postcards
also without the bytecode the layer ships.

Setup, as close to Lambda's python3.13 as a laptop gets without Docker:

- The code is what ships: the host architecture's build/<arch>/ zips (build.sh runs first, a no-op
  when up to date), unpacked like /var/task (function) and /opt/python (layer); boto3 and its
  dependencies stand in for the runtime's /var/runtime (the dev venv's, linked into one folder).
  Nothing else is importable (``python -S``, PYTHONPATH = task, layer, runtime; the floor has no
  layer).
- Like Lambda's read-only /var/task and /opt, nothing can cache bytecode at a cold start
  (PYTHONDONTWRITEBYTECODE): the layer loads from the bytecode build.sh ships in it, the function's
  code compiles from the source its zip ships, the runtime's boto3 loads from its own bytecode, as
  /var/runtime ships it. For comparison, ``postcards-source`` runs the same layer without its
  bytecode (everything of ours and the layer's compiled at every cold start), and
  ``postcards-xray-sdk`` the same function traced by the X-Ray SDK, as shipped before issue 16.
- The environment is Lambda's (AWS_LAMBDA_FUNCTION_NAME, _X_AMZN_TRACE_ID with Sampled=1, ...) plus
  Terraform's, so Powertools behaves as deployed: tracing is on, and the functions' X-Ray provider
  (the naive handler's X-Ray SDK) sends its subsegments as UDP datagrams to 127.0.0.1:2000, where
  nothing listens: harmless and cheap, as with the X-Ray daemon on Lambda. AWS calls go to a moto
  server on loopback (AWS_ENDPOINT_URL).
- Each round runs every variant once, in alternating order (drift and cache effects spread evenly);
  warm-up rounds are dropped. Every process gets the whole machine, unlike Lambda where CPU scales
  with memory: compare ratios, not absolute numbers, with AWS.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import platform
import select
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.bench import _coldstart_scenarios as scenarios
from tests.bench import _importtime, _results
from tests.bench import _variant_trees as trees
from tests.bench._moto import moto_server
from tests.bench._variant_trees import BenchError
from tests.unit.stack import create_stack

HERE = Path(__file__).resolve().parent
CHILD = HERE / "_coldstart_child.py"
REFERENCE_HANDLERS = HERE / "_handlers"
WORK = _results.RESULTS_DIR / "coldstart"
RUNTIME = "python3.13"
GOAL_RATIO = 1.1  # issue 3: postcards' cold start <= 1.1 x the floor
CHILD_DEADLINE_S = 120.0
# The runtime's SDK: what /var/runtime provides beside the handler's own code and layers.
RUNTIME_PACKAGES = ("boto3", "botocore", "s3transfer", "urllib3", "dateutil", "six", "jmespath")


@dataclass(frozen=True)
class Variant:
    name: str
    function: str  # whose environment and event it gets
    task_root: Path  # /var/task
    layer: Path | None  # /opt/python; the floor has none
    handler: str
    check: Callable[[Any], str | None]


@dataclass(frozen=True)
class Sample:
    boot_ms: float  # process start until the runtime's first line runs
    init_ms: float  # importing the handler module (what Lambda reports as Init Duration, less boot)
    invoke_ms: float  # the first invocation
    total_ms: float  # wall clock, spawn to response: what a caller waits
    cpu_ms: float  # user + system CPU of the process: robust to other load on the machine


def main(argv: Sequence[str]) -> int:
    args = _parse(argv)
    load_at_start = round(os.getloadavg()[0], 2)  # other work on the machine skews wall times
    arch = _host_arch()
    manifest = _build(arch)
    layer = _unpack(_results.REPO / "build" / arch / "layer.zip", WORK / "opt") / "python"
    runtime_dir = _runtime_dir(WORK / "runtime")
    functions = [name for name in manifest["artifacts"] if name != "layer"]
    tasks = {
        name: _unpack(_results.REPO / "build" / arch / f"{name}.zip", WORK / "task" / name)
        for name in functions
    }

    stack = scenarios.Stack()
    with moto_server() as endpoint:
        os.environ.update(_sdk_environment(endpoint))
        create_stack(stack)
        scenarios.seed_feed(stack)
        known = scenarios.scenarios(stack)
        variants = _variants(tasks, layer, known, args.variants)
        if manifest["artifacts"]["layer"].get("bytecode") is None:
            print("note: build.sh shipped no bytecode (no CPython of the runtime's version was found):")
            print("      postcards and postcards-source measure the same thing")
        if "floor" not in {v.name for v in variants}:
            raise BenchError("the floor is the reference of every ratio: keep it in --variants")

        def run(variant: Variant, importtime: bool = False) -> tuple[Sample, str]:
            scenario = known[variant.function]
            env = _child_environment(variant, stack, endpoint, runtime_dir)
            return _cold_start(variant, env, scenario.next_event(), importtime)

        samples = _measure(variants, run, args.rounds, args.warmup)
        importtimes = {
            v.name: [_importtime.parse(run(v, importtime=True)[1]) for _ in range(args.importtime_runs)]
            for v in variants
        }

    result = _report(variants, samples, importtimes, args, arch)
    result["setup"]["bytecode_shipped"] = {
        name: a.get("bytecode") for name, a in manifest["artifacts"].items()
    }
    result["setup"]["load_average_1m_at_start"] = load_at_start
    path = _results.write("coldstart", result)
    _print(result, path)
    return 0


def _parse(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tests.bench coldstart", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--rounds", type=int, default=15, help="measured rounds (default 15)")
    parser.add_argument("--warmup", type=int, default=1, help="rounds run first and dropped (default 1)")
    parser.add_argument(
        "--importtime-runs", type=int, default=3, help="-X importtime runs per variant (default 3)"
    )
    parser.add_argument("--variants", default="", help="comma-separated subset, e.g. floor,postcards")
    args = parser.parse_args(list(argv))
    if args.rounds < 1 or args.warmup < 0 or args.importtime_runs < 1:
        parser.error("--rounds and --importtime-runs must be >= 1, --warmup >= 0")
    return args


def _host_arch() -> str:
    machine = platform.machine()
    arches = {"x86_64": "x86_64", "AMD64": "x86_64", "aarch64": "arm64", "arm64": "arm64"}
    if machine not in arches:
        raise BenchError(f"no Lambda architecture matches this machine ({machine})")
    return arches[machine]


def _build(arch: str) -> dict[str, Any]:
    """build.sh for the host: the bench measures exactly what would be deployed."""
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    env.pop("PYTHON", None)
    subprocess.run(
        ["./build.sh", "--arch", arch, "--runtime", RUNTIME],
        cwd=_results.REPO,
        env=env,
        check=True,
        timeout=900,
    )
    manifest: dict[str, Any] = json.loads((_results.REPO / "build" / arch / "manifest.json").read_text())
    return manifest


def _unpack(zip_path: Path, dest: Path) -> Path:
    """A fresh extraction, like Lambda's: no bytecode left from an earlier run."""
    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir(parents=True)
    with zipfile.ZipFile(zip_path) as zf:
        zf.extractall(dest)
    return dest


def _runtime_dir(dest: Path) -> Path:
    """The SDK the runtime provides, linked from this venv and compiled as /var/runtime ships it."""
    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir(parents=True)
    for package in RUNTIME_PACKAGES:
        origin = trees.installed(package)
        if origin.name == "__init__.py":  # a package: linked, compiled where it lives
            (dest / origin.parent.name).symlink_to(origin.parent, target_is_directory=True)
            compileall.compile_dir(origin.parent, quiet=2)
        else:  # a module: copied, as its bytecode is looked up next to the path imported from
            shutil.copyfile(origin, dest / origin.name)
            compileall.compile_file(dest / origin.name, quiet=2)
    return dest


def _sdk_environment(endpoint: str) -> dict[str, str]:
    return {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_SESSION_TOKEN": "test",
        "AWS_REGION": scenarios.REGION,
        "AWS_DEFAULT_REGION": scenarios.REGION,
        # No host configuration may leak in: Lambda has no ~/.aws and no instance metadata.
        "AWS_CONFIG_FILE": str(WORK / "no-aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(WORK / "no-aws-credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
    }


def _variants(
    tasks: dict[str, Path], layer: Path, known: dict[str, scenarios.Scenario], only: str
) -> list[Variant]:
    """floor, postcards, postcards-source, postcards-xray-sdk, naive, then the other functions."""
    # The floor is a bare function: no layer, only the runtime's boto3.
    found = [
        Variant("floor", "postcards", REFERENCE_HANDLERS, None, "floor.lambda_handler", scenarios.check_floor)
    ]
    for name, task in sorted(tasks.items(), key=lambda item: item[0] != "postcards"):
        if name not in known:
            print(f"note: no cold-start scenario for function {name!r}; add one to _coldstart_scenarios.py")
            continue
        handler = f"{name}.handler.lambda_handler"
        found.append(Variant(name, name, task, layer, handler, known[name].check))
        if name == "postcards":
            # What the layer's bytecode saves: the same code without it.
            layer_source = trees.without_bytecode(layer, WORK / "source" / "python")
            found.append(Variant("postcards-source", name, task, layer_source, handler, known[name].check))
            # What our X-Ray provider saves: the same function with the X-Ray SDK as Tracer's
            # provider, as shipped before issue 16.
            sdk_layer = trees.layer_with_xray_sdk(layer, WORK / "opt-xray-sdk" / "python")
            sdk_task = trees.task_with_the_xray_sdk(task, WORK / "task-xray-sdk")
            found.append(Variant("postcards-xray-sdk", name, sdk_task, sdk_layer, handler, known[name].check))
            # The naive handler uses the stock Tracer and patch_all(): the X-Ray SDK, which the layer
            # no longer ships, is added to a copy of it.
            naive = "naive.lambda_handler"
            found.append(Variant("naive", name, REFERENCE_HANDLERS, sdk_layer, naive, known[name].check))
    wanted = {name for name in only.split(",") if name}
    unknown = wanted - {v.name for v in found}
    if unknown:
        raise BenchError(f"unknown variants {sorted(unknown)}; known: {[v.name for v in found]}")
    return [v for v in found if not wanted or v.name in wanted]


def _child_environment(
    variant: Variant, stack: scenarios.Stack, endpoint: str, runtime: Path
) -> dict[str, str]:
    env = scenarios.lambda_environment(
        variant.function, variant.handler, str(variant.task_root), str(runtime)
    )
    env |= scenarios.environment(variant.function, stack)
    env |= _sdk_environment(endpoint)
    path = [variant.task_root, *([variant.layer] if variant.layer else []), runtime]
    env["PYTHONPATH"] = os.pathsep.join(map(str, path))
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def _cold_start(
    variant: Variant, env: dict[str, str], event: dict[str, Any], importtime: bool
) -> tuple[Sample, str]:
    """One fresh interpreter: spawn, import, invoke once. Returns the timings and its stderr."""
    WORK.mkdir(parents=True, exist_ok=True)
    event_file = WORK / "event.json"
    event_file.write_text(json.dumps(event))
    flags = ["-S", *(["-X", "importtime"] if importtime else [])]
    read_fd, write_fd = os.pipe()
    with tempfile.TemporaryFile() as stdout, tempfile.TemporaryFile() as stderr:
        spawned = time.monotonic()
        child = subprocess.Popen(
            [sys.executable, *flags, str(CHILD), variant.handler, str(event_file), str(write_fd)],
            cwd=variant.task_root,
            env=env,
            pass_fds=(write_fd,),
            stdout=stdout,
            stderr=stderr,
        )
        os.close(write_fd)
        try:
            report = _read_until_closed(read_fd, CHILD_DEADLINE_S)
        except BenchError:
            child.kill()
            raise
        finally:
            os.close(read_fd)
            cpu_ms = _reap(child)
        stderr.seek(0)
        errors = stderr.read().decode(errors="replace")
        if not report:
            stdout.seek(0)
            output = stdout.read().decode(errors="replace")
            raise BenchError(
                f"{variant.name}: the cold start failed (exit {child.returncode}):\n"
                f"{output[-3000:]}\n{errors[-3000:]}"
            )
    result = json.loads(report)
    problem = variant.check(result["response"])
    if problem:
        raise BenchError(f"{variant.name}: {problem}")
    sample = Sample(
        boot_ms=(result["started"] - spawned) * 1000,
        init_ms=(result["invoke_started"] - result["init_started"]) * 1000,
        invoke_ms=(result["finished"] - result["invoke_started"]) * 1000,
        total_ms=(result["finished"] - spawned) * 1000,
        cpu_ms=cpu_ms,
    )
    return sample, errors


def _reap(child: subprocess.Popen[bytes]) -> float:
    """Waits for the child (it exits right after reporting, or was killed) and returns its CPU
    time in ms, which Popen.wait does not give."""
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    return (usage.ru_utime + usage.ru_stime) * 1000


def _read_until_closed(fd: int, deadline_s: float) -> bytes:
    chunks = []
    deadline = time.monotonic() + deadline_s
    while (left := deadline - time.monotonic()) > 0:
        readable, _, _ = select.select([fd], [], [], left)
        if not readable:
            break
        chunk = os.read(fd, 65536)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
    raise BenchError(f"a cold start did not finish within {deadline_s:.0f} s")


def _measure(
    variants: list[Variant], run: Callable[[Variant], tuple[Sample, str]], rounds: int, warmup: int
) -> dict[str, list[Sample]]:
    samples: dict[str, list[Sample]] = {v.name: [] for v in variants}
    for number in range(-warmup, rounds):
        order = variants if number % 2 == 0 else variants[::-1]
        for variant in order:
            sample, _ = run(variant)
            if number >= 0:
                samples[variant.name].append(sample)
        label = "warm-up" if number < 0 else f"round {number + 1}/{rounds}"
        print(
            f"  {label}: "
            + "  ".join(
                f"{v.name} {samples[v.name][-1].total_ms:.0f} ms"
                for v in variants
                if number >= 0 and samples[v.name]
            ),
            flush=True,
        )
    return samples


def _report(
    variants: list[Variant],
    samples: dict[str, list[Sample]],
    importtimes: dict[str, list[list[_importtime.ImportRecord]]],
    args: argparse.Namespace,
    arch: str,
) -> dict[str, Any]:
    floor = samples["floor"]
    results: dict[str, Any] = {}
    for variant in variants:
        runs = samples[variant.name]
        totals, cpu = [s.total_ms for s in runs], [s.cpu_ms for s in runs]
        results[variant.name] = {
            "handler": variant.handler,
            "total": _results.summarize(totals),
            "cpu": _results.summarize(cpu),
            "phases_median_ms": {
                phase: round(statistics.median(getattr(s, f"{phase}_ms") for s in runs), 1)
                for phase in ("boot", "init", "invoke")
            },
            "ratio_to_floor": _ratio(totals, [s.total_ms for s in floor]),
            "cpu_ratio_to_floor": _ratio(cpu, [s.cpu_ms for s in floor]),
            # Same-round pairs cancel slow drift of the machine.
            "paired_ratio_to_floor_median": round(
                statistics.median(s.total_ms / f.total_ms for s, f in zip(runs, floor, strict=True)), 3
            ),
            "paired_cpu_ratio_to_floor_median": round(
                statistics.median(s.cpu_ms / f.cpu_ms for s, f in zip(runs, floor, strict=True)), 3
            ),
            "samples_total_ms": [round(t, 1) for t in totals],
            "samples_cpu_ms": [round(t, 1) for t in cpu],
        }
    goal = None
    if "postcards" in results:
        # Issue 16 names the goal paired: same-round ratios cancel the drift of a shared machine.
        paired = results["postcards"]["paired_ratio_to_floor_median"]
        goal = {
            "postcards_over_floor": results["postcards"]["ratio_to_floor"],
            "postcards_over_floor_paired": paired,
            "postcards_over_floor_cpu": results["postcards"]["cpu_ratio_to_floor"],
            "postcards_over_floor_cpu_paired": results["postcards"]["paired_cpu_ratio_to_floor_median"],
            "target": GOAL_RATIO,
            "met": paired <= GOAL_RATIO,
        }
    return {
        "setup": {
            "runtime": RUNTIME,
            "architecture": arch,
            "rounds": args.rounds,
            "warmup_rounds": args.warmup,
            "interpreter": sys.version.split()[0],
            "bytecode": "layer from the bytecode in its zip, function code from source (its zip has"
            " none), nothing cached at a cold start (read-only on Lambda); postcards-source: the layer"
            " without its bytecode, compiled at every cold start too; runtime SDK from bytecode",
            "tracing": "on (Sampled=1); X-Ray subsegments sent as UDP to 127.0.0.1:2000, no listener",
            "aws": "moto server on loopback",
        },
        "goal": goal,
        "variants": results,
        "importtime": {
            name: {
                "runs": len(runs),
                "self_ms_by_package": _importtime.median_groups(runs),
                "top_cumulative": _importtime.top_cumulative(runs, 15),
                "top_self": _importtime.top_self(runs, 25),
            }
            for name, runs in importtimes.items()
        },
    }


def _ratio(samples: list[float], floor: list[float]) -> float:
    return round(statistics.median(samples) / statistics.median(floor), 3)


def _print(result: dict[str, Any], path: Path) -> None:
    setup = result["setup"]
    print(
        "\ncold start: fresh interpreter, imports + init + first invocation "
        f"({setup['runtime']}, {setup['architecture']}, {setup['rounds']} rounds)"
    )
    header = (
        f"{'wall ms: median':>16}{'p90':>8}{'boot':>7}{'init':>7}{'invoke':>8}{'x floor':>9}{'paired':>8}"
        f"{'cpu ms':>9}{'x floor':>9}"
    )
    print(f"  {'variant':<22}{header}")
    for name, data in result["variants"].items():
        phases = data["phases_median_ms"]
        print(
            f"  {name:<22}{data['total']['median_ms']:>16.1f}{data['total']['p90_ms']:>8.1f}"
            f"{phases['boot']:>7.1f}{phases['init']:>7.1f}{phases['invoke']:>8.1f}"
            f"{data['ratio_to_floor']:>9.2f}{data['paired_ratio_to_floor_median']:>8.2f}"
            f"{data['cpu']['median_ms']:>9.1f}{data['cpu_ratio_to_floor']:>9.2f}"
        )
    if result["goal"]:
        goal = result["goal"]
        verdict = "met" if goal["met"] else "MISSED"
        wall, cpu = goal["postcards_over_floor_paired"], goal["postcards_over_floor_cpu"]
        cpu_paired = goal["postcards_over_floor_cpu_paired"]
        print(
            f"  goal postcards <= {goal['target']} x floor, paired: {verdict} ({wall:.2f}; "
            f"cpu {cpu:.2f}, cpu paired {cpu_paired:.2f})"
        )
    print(f"  load average (1 min) at start: {setup['load_average_1m_at_start']} on {os.cpu_count()} CPUs")
    imports = result["importtime"]
    names = list(imports)
    table = {n: imports[n]["self_ms_by_package"] for n in names}
    groups = sorted(
        {g for row in table.values() for g in row}, key=lambda g: -max(table[n].get(g, 0) for n in names)
    )
    shown = [g for g in groups if max(table[n].get(g, 0) for n in names) >= 1.0]
    print("\n-X importtime, self ms by package (median of runs; a module's own load, compile and execution):")
    width = max(14, *(len(n) + 2 for n in names))
    print(f"  {'package':<24}" + "".join(f"{n:>{width}}" for n in names))
    for group in shown:
        print(f"  {group:<24}" + "".join(f"{table[n].get(group, 0):>{width}.1f}" for n in names))
    others = {n: sum(ms for g, ms in table[n].items() if g not in shown) for n in names}
    print(f"  {'other (< 1 ms each)':<24}" + "".join(f"{others[n]:>{width}.1f}" for n in names))
    print(f"  {'total':<24}" + "".join(f"{sum(table[n].values()):>{width}.1f}" for n in names))
    if "postcards" in imports:
        print("\npostcards: heaviest imports, cumulative ms (depth <= 2) | own ms (load + compile + run)")
        rows = zip(imports["postcards"]["top_cumulative"], imports["postcards"]["top_self"], strict=False)
        for cumulative, own in rows:
            print(
                f"  {cumulative['cumulative_ms']:>8.1f}  {cumulative['module']:<48}"
                f"| {own['self_ms']:>6.1f}  {own['module']}"
            )
    print(f"\nresults: {path.relative_to(_results.REPO)}")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

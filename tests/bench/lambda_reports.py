"""Lambda's own figures for the three functions on the whole local stack: Init Duration of cold
starts and the Duration, Billed Duration and memory of warm invocations, read back from the REPORT
lines in their CloudWatch Logs after a bounded, realistic workload.

Starts ``python -m local up`` with terraform/ applied on free ports in a temporary folder (or, with
``--endpoints .local/endpoints.json``, uses a cloud that runs already: then its earlier invocations
count too), then sends, one at a time and loopback only: ``--calls`` API requests (feed, health,
instance), two overlapping ``/v1/instance?hold_ms=`` calls (an on-demand cold start beside the
provisioned environment), ``--uploads`` 1600x1200 JPEG uploads (each a thumbnail invocation), and
``--runs`` housekeeping invocations. Writes build/bench/lambda_reports.json, which the cost page
(``make docs``) reads.
"""

from __future__ import annotations

import argparse
import io
import json
import re
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import requests
from PIL import Image

from tests.bench._results import summarize, write
from tests.local.cloud_support import RunningCloud, start_cloud, stop_cloud

FIELD = re.compile(r"(Duration|Billed Duration|Memory Size|Max Memory Used|Init Duration): ([0-9.]+)")
TIMEOUT_S = 60


def _jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (1600, 1200), (30, 90, 160)).save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


def workload(endpoints: dict[str, Any], calls: int, uploads: int, runs: int, lambda_client: Any) -> None:
    api, ca = endpoints["api_url"], endpoints["ca_bundle"]
    with requests.Session() as http:
        for number in range(calls):
            path = ("/v1/postcards", "/v1/health", "/v1/instance")[number % 3]
            http.get(api + path, verify=ca, timeout=TIMEOUT_S).raise_for_status()
        # Two at once: the provisioned environment takes one, the other needs an on-demand one.
        with ThreadPoolExecutor(2) as pool:
            for answer in pool.map(
                lambda _: http.get(f"{api}/v1/instance?hold_ms=800", verify=ca, timeout=TIMEOUT_S), range(2)
            ):
                answer.raise_for_status()
        picture = _jpeg()
        for _ in range(uploads):
            slot = http.post(
                f"{api}/v1/uploads",
                json={"content_type": "image/jpeg", "size_bytes": len(picture)},
                verify=ca,
                timeout=TIMEOUT_S,
            ).json()
            post = slot["presigned_post"]
            sent = http.post(post["url"], data=post["fields"], files={"file": picture}, verify=ca, timeout=60)
            sent.raise_for_status()
            deadline = time.monotonic() + TIMEOUT_S
            while (
                http.get(f"{api}/v1/uploads/{slot['id']}", verify=ca, timeout=60).json()["status"]
                == "pending"
            ):
                if time.monotonic() > deadline:
                    raise RuntimeError(f"upload {slot['id']} still pending after {TIMEOUT_S} s")
                time.sleep(0.2)
    names = endpoints["terraform_outputs"]["functions"]
    for _ in range(runs):
        lambda_client.invoke(FunctionName=names["housekeeping"]["name"], Qualifier="live", Payload=b"{}")


def report_lines(logs: Any, group: str) -> list[dict[str, float]]:
    reports = []
    for page in logs.get_paginator("filter_log_events").paginate(logGroupName=group, filterPattern="REPORT"):
        for event in page["events"]:
            if event["message"].startswith("REPORT"):
                reports.append({key: float(value) for key, value in FIELD.findall(event["message"])})
    return reports


def summary(reports: list[dict[str, float]]) -> dict[str, Any]:
    cold = [r for r in reports if "Init Duration" in r]
    warm = [r for r in reports if "Init Duration" not in r]
    return {
        "memory_mb": int(reports[0]["Memory Size"]) if reports else None,
        "invocations": len(reports),
        "cold": {
            "n": len(cold),
            "init_duration": summarize([r["Init Duration"] for r in cold]) if cold else None,
            "duration": summarize([r["Duration"] for r in cold]) if cold else None,
        },
        "warm": {
            "n": len(warm),
            "duration": summarize([r["Duration"] for r in warm]) if warm else None,
            "billed_duration": summarize([r["Billed Duration"] for r in warm]) if warm else None,
        },
        "max_memory_used_mb": max((r["Max Memory Used"] for r in reports), default=None),
    }


def measure(cloud: RunningCloud, args: argparse.Namespace) -> dict[str, Any]:
    endpoints = cloud.endpoints
    logs = cloud.client("logs")
    groups = {key: fn["log_group"] for key, fn in sorted(endpoints["terraform_outputs"]["functions"].items())}
    before = {key: len(report_lines(logs, group)) for key, group in groups.items()}
    workload(endpoints, args.calls, args.uploads, args.runs, cloud.client("lambda"))
    # Log events reach CloudWatch Logs after the invocation has answered: wait for at least the
    # REPORT lines of the invocations sent (the API also served the uploads' polls, counted or not).
    expected = {
        "postcards": args.calls + 2 + 2 * args.uploads,
        "thumbnails": args.uploads,
        "housekeeping": args.runs,
    }
    deadline = time.monotonic() + TIMEOUT_S
    while True:
        reports = {key: report_lines(logs, group) for key, group in groups.items()}
        short = {k: n for k, n in expected.items() if len(reports.get(k, [])) < before.get(k, 0) + n}
        if not short:
            return {key: summary(found) for key, found in reports.items()}
        if time.monotonic() > deadline:
            raise RuntimeError(f"REPORT lines missing after {TIMEOUT_S} s: {short}")
        time.sleep(0.5)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="lambda_reports", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--endpoints", type=Path, help="a running cloud's endpoints.json (default: start one)"
    )
    parser.add_argument("--calls", type=int, default=60)
    parser.add_argument("--uploads", type=int, default=3)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    if not 1 <= args.calls <= 1000 or not 0 <= args.uploads <= 20 or not 1 <= args.runs <= 20:
        parser.error("bounded: --calls 1..1000, --uploads 0..20, --runs 1..20")
    with tempfile.TemporaryDirectory() as folder:
        if args.endpoints:
            endpoints = json.loads(args.endpoints.read_text())
            cloud = RunningCloud(
                process=None, state_dir=args.endpoints.parent, log_path=Path(folder) / "none"
            )  # type: ignore[arg-type]
            cloud.endpoints = endpoints
            results = measure(cloud, args)
        else:
            cloud = start_cloud(Path(folder), "--console-logs", "none")
            try:
                cloud.wait_for_log("==> terraform (background", timeout_s=300)
                results = measure(cloud, args)
            finally:
                stop_cloud(cloud)
    setup = {"calls": args.calls, "uploads": args.uploads, "housekeeping_runs": args.runs}
    setup["cloud"] = str(args.endpoints) if args.endpoints else "a fresh local cloud (terraform/ applied)"
    path = write("lambda_reports", {"setup": setup, "functions": results})
    print(f"REPORT lines per function (Duration, Init Duration in ms), {setup['cloud']}:")
    for key, s in results.items():
        cold, warm = s["cold"], s["warm"]
        init = cold["init_duration"]["median_ms"] if cold["n"] else "-"
        warm_p50 = warm["duration"]["median_ms"] if warm["n"] else "-"
        warm_p90 = warm["duration"]["p90_ms"] if warm["n"] else "-"
        print(
            f"  {key:<13} {s['memory_mb']} MB  cold {cold['n']:>3}, Init Duration median {init} ms;"
            f"  warm {warm['n']:>3}, Duration p50 {warm_p50} / p90 {warm_p90} ms;"
            f"  max memory {s['max_memory_used_mb']} MB"
        )
    print(f"results: {path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path}")
    return 0

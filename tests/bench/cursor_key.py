"""What reading the cursor signing key from SSM adds to the postcards function's first cursor: the
SSM client and one GetParameter (WithDecryption) in a fresh interpreter, on the boto3 session the
function's other clients share (functions/common/aws.py) beside a session of its own.

Each sample is a new interpreter (nothing cached, as at a cold start) that first builds the
DynamoDB client every feed request needs anyway, then times what the key adds: CPU (process_time,
the part that scales with Lambda's memory-sized CPU share) and wall time (which includes the
loopback round trip to a moto server and the machine's load). Variants alternate per round.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from collections.abc import Sequence

import boto3

from tests.bench import _results
from tests.bench._moto import moto_server

PARAMETER = "/postcards/bench/cursor-signing-key"
CHILD_TIMEOUT_S = 60
CHILD = r"""
import json, sys, time
import boto3
shared = sys.argv[1] == "shared"
session = boto3.session.Session()
session.client("dynamodb")  # the feed's client, built first in any case
c0, w0 = time.process_time(), time.perf_counter()
ssm = (session if shared else boto3.session.Session()).client("ssm")
c1 = time.process_time()
ssm.get_parameter(Name=sys.argv[2], WithDecryption=True)
c2, w2 = time.process_time(), time.perf_counter()
print(json.dumps({"client_cpu_ms": (c1 - c0) * 1e3, "call_cpu_ms": (c2 - c1) * 1e3,
                  "cpu_ms": (c2 - c0) * 1e3, "wall_ms": (w2 - w0) * 1e3}))
"""
VARIANTS = ("shared", "separate")


def _parse(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tests.bench cursor_key", description=__doc__)
    parser.add_argument("--rounds", type=int, default=12, help="samples per variant (default 12)")
    return parser.parse_args(argv)


def main(argv: Sequence[str]) -> int:
    args = _parse(argv)
    samples: dict[str, list[dict[str, float]]] = {variant: [] for variant in VARIANTS}
    with moto_server() as endpoint:
        credentials = {"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench"}
        env = {**os.environ, **credentials, "AWS_ENDPOINT_URL": endpoint, "AWS_DEFAULT_REGION": "us-east-1"}
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        boto3.client(
            "ssm",
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id="bench",
            aws_secret_access_key="bench",
        ).put_parameter(Name=PARAMETER, Type="SecureString", Value="k" * 64)
        for _ in range(args.rounds):
            for variant in VARIANTS:
                result = subprocess.run(
                    [sys.executable, "-c", CHILD, variant, PARAMETER],
                    env=env,
                    capture_output=True,
                    text=True,
                    timeout=CHILD_TIMEOUT_S,
                    check=True,
                )
                samples[variant].append(json.loads(result.stdout.strip().splitlines()[-1]))
    medians = {
        variant: {key: round(statistics.median(s[key] for s in rows), 1) for key in rows[0]}
        for variant, rows in samples.items()
    }
    for variant, row in medians.items():
        print(f"  {variant:<9} " + "  ".join(f"{key} {value:>6}" for key, value in row.items()))
    path = _results.write("cursor_key", {"rounds": args.rounds, "medians": medians, "samples": samples})
    print(f"results: {path.relative_to(_results.REPO)}")
    return 0

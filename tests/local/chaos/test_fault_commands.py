"""The local faults on a running cloud, as a user sets them: ``python -m local chaos`` against its
state folder (set, listed, cleared), a function's AWS calls made late by ``aws-latency`` (and the
test's own calls not), and a slow container API."""

from __future__ import annotations

import ssl
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable

import pytest

from tests.local.chaos.faults import LocalFaults
from tests.local.cloud_support import ROOT, RunningCloud, invoke

pytestmark = pytest.mark.slow

# A function that times one DynamoDB call through the local AWS endpoint.
TIMED_CALL = """
import time, boto3

def handler(event, context):
    client = boto3.client("dynamodb")
    started = time.perf_counter()
    client.list_tables(Limit=1)
    return {"ms": (time.perf_counter() - started) * 1000}
"""
DELAY_MS = 700


def chaos(cloud: RunningCloud, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "local", "chaos", *args, "--state-dir", str(cloud.state_dir)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_chaos_command_sets_lists_and_clears_a_fault(cloud: RunningCloud, faults: LocalFaults) -> None:
    # When a user sets a fault from the command line
    added = chaos(cloud, "dynamodb-error", "--percent", "25", "--operations", "Query")

    # Then it is on, as listed by the command and the endpoint alike
    assert added.returncode == 0, added.stderr
    (fault,) = faults.list()
    assert fault["kind"] == "dynamodb-error"
    assert fault["settings"] == {"percent": 25.0, "operations": "Query"}
    listed = chaos(cloud, "list")
    assert f"{fault['id']}\tdynamodb-error" in listed.stdout

    # And a bad one is refused with its reason, and clear takes the rest away
    refused = chaos(cloud, "kill-environment")
    assert refused.returncode == 1
    assert "function: the name of the function is required" in refused.stderr
    assert chaos(cloud, "clear").returncode == 0
    assert faults.list() == []


def test_the_chaos_command_without_a_running_cloud_says_so(tmp_path: object) -> None:
    answer = subprocess.run(
        [sys.executable, "-m", "local", "chaos", "list", "--state-dir", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert answer.returncode == 1
    assert "no running local cloud" in answer.stderr


def test_aws_latency_delays_a_functions_calls_and_not_the_tests_own(
    cloud: RunningCloud, faults: LocalFaults, deploy: Callable[..., str]
) -> None:
    # Given a function that times a DynamoDB call, warm
    name = deploy(cloud, files={"timed.py": TIMED_CALL}, handler="timed.handler")
    _, before = invoke(cloud, name)

    # When its calls to DynamoDB are made late
    faults.add("aws-latency", delay_ms=DELAY_MS, services="dynamodb")
    _, during = invoke(cloud, name)
    started = time.perf_counter()
    cloud.client("dynamodb").list_tables(Limit=1)
    own_ms = (time.perf_counter() - started) * 1000
    faults.clear()
    _, after = invoke(cloud, name)

    # Then only the function's call was late, by the delay, and not once the fault is cleared
    assert during["ms"] >= DELAY_MS, (before, during)
    assert own_ms < DELAY_MS
    assert after["ms"] < DELAY_MS, after


def test_a_slow_container_api_answers_late_and_on_time_again_once_cleared(
    cloud: RunningCloud, faults: LocalFaults
) -> None:
    url = str(cloud.endpoints["container_api_url"]).rstrip("/") + "/health"
    context = ssl.create_default_context(cafile=cloud.ca_bundle)

    def timed_ms() -> float:
        started = time.perf_counter()
        with urllib.request.urlopen(url, timeout=30, context=context) as answer:
            assert answer.status == 200
        return (time.perf_counter() - started) * 1000

    faults.add("container-api-slow", delay_ms=1200)
    slow = timed_ms()
    faults.clear()
    assert slow >= 1200
    assert timed_ms() < 1200

"""The container API stand-in, run as its own process the way ``make up`` runs it."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from tests.local.gateway_support import ROOT

SITE_ORIGIN = "http://www.postcards.localhost:4590"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> object:
        return json.loads(self.body)


def _request(url: str, method: str = "GET", headers: dict[str, str] | None = None) -> Answer:
    request = urllib.request.Request(url, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return Answer(response.status, dict(response.headers), response.read())
    except urllib.error.HTTPError as error:
        return Answer(error.code, dict(error.headers), error.read())


@pytest.fixture(scope="module")
def container_api() -> Iterator[str]:
    port = _free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "local.standins.container_api",
            "--port",
            str(port),
            "--cors-origin",
            SITE_ORIGIN,
        ],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    url = f"http://127.0.0.1:{port}"
    _wait_until_healthy(url, process)
    try:
        yield url
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=10)


def test_health(container_api: str) -> None:
    answer = _request(f"{container_api}/health")

    assert answer.status == 200
    assert answer.json() == {"status": "ok", "service": "stamps", "version": "1.4.2"}


def test_stamps_list_filters_and_pages(container_api: str) -> None:
    everything = _request(f"{container_api}/stamps").json()
    page = _request(f"{container_api}/stamps?limit=2&offset=1").json()
    norway = _request(f"{container_api}/stamps?country=no").json()

    assert isinstance(everything, dict)
    assert everything["total"] == len(everything["items"]) == 8
    assert isinstance(page, dict)
    assert page["items"] == everything["items"][1:3]
    assert isinstance(norway, dict)
    assert [s["id"] for s in norway["items"]] == ["northern-lights"]


def test_one_stamp_and_a_missing_one(container_api: str) -> None:
    assert _request(f"{container_api}/stamps/night-train").json() == {
        "id": "night-train",
        "name": "Night Train",
        "country": "AT",
        "year": 2012,
        "denomination": "0.70 EUR",
        "colors": ["#283593", "#eceff1"],
    }
    missing = _request(f"{container_api}/stamps/nope")
    assert missing.status == 404
    assert missing.json() == {"error": {"code": "not_found", "message": "no stamp 'nope'"}}


def test_bad_paging_and_unknown_routes_are_json_errors(container_api: str) -> None:
    bad = _request(f"{container_api}/stamps?limit=-1")
    unknown = _request(f"{container_api}/postcards")

    assert bad.status == 400
    assert bad.json() == {
        "error": {"code": "invalid_request", "message": "limit and offset must be non-negative integers"}
    }
    assert unknown.status == 404


def test_cors_for_the_site_origin_only(container_api: str) -> None:
    allowed = _request(f"{container_api}/stamps", headers={"Origin": SITE_ORIGIN})
    other = _request(f"{container_api}/stamps", headers={"Origin": "http://evil.example"})
    preflight = _request(
        f"{container_api}/stamps",
        method="OPTIONS",
        headers={"Origin": SITE_ORIGIN, "Access-Control-Request-Method": "GET"},
    )

    assert allowed.headers["Access-Control-Allow-Origin"] == SITE_ORIGIN
    assert allowed.headers["Vary"] == "Origin"
    assert "Access-Control-Allow-Origin" not in other.headers
    assert preflight.status == 204
    assert preflight.headers["Access-Control-Allow-Methods"] == "GET, OPTIONS"


def test_sigterm_stops_it_promptly() -> None:
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "local.standins.container_api", "--port", str(port)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    _wait_until_healthy(f"http://127.0.0.1:{port}", process)

    process.send_signal(signal.SIGTERM)

    assert process.wait(timeout=10) == 0


def _wait_until_healthy(url: str, process: subprocess.Popen[bytes], timeout_s: float = 30) -> None:
    """Until ``url``/health answers; fails the test (killing the process) if it exits or the
    deadline passes first, never returning without an answer."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            _request(f"{url}/health")
            return
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail(
                    f"the container API did not answer {url}/health within {timeout_s} s "
                    f"(exit code {process.poll()})"
                )
            time.sleep(0.05)

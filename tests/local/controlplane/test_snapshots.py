"""The control plane's snapshot (``local.controlplane.snapshots``) restores what Terraform made,
here SSM parameters: moto keeps them in ``ParameterDict``, a defaultdict subclass whose ``__init__``
takes arguments of its own, which plain pickle cannot rebuild."""

from __future__ import annotations

import io
import os
import socket
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import boto3
import pytest
import requests

from tests.local.cloud_support import ROOT, free_ports

START_TIMEOUT_S = 60


class _Counted(defaultdict[str, list[int]]):
    """A defaultdict subclass with a constructor of its own, as moto's SSM ParameterDict has."""

    def __init__(self, owner: str) -> None:
        super().__init__(list)
        self.owner = owner


def test_a_defaultdict_subclass_with_its_own_constructor_round_trips(tmp_path: Path) -> None:
    import pickle

    from local.controlplane.snapshots import _StatePickler

    # Given a subclass instance with items, an attribute and a factory
    given = _Counted("me")
    given["a"].append(1)
    buffer = io.BytesIO()

    # When it is pickled with the snapshot's pickler and loaded
    _StatePickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(given)
    loaded = pickle.loads(buffer.getvalue())

    # Then it is the same class, with its items, attribute and factory
    assert type(loaded) is _Counted
    assert loaded == {"a": [1]}
    assert loaded.owner == "me"
    loaded["b"].append(2)
    assert loaded["b"] == [2]


@contextmanager
def _control_plane(snapshot: Path) -> Iterator[str]:
    port, edge_port = free_ports(2)
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "local.controlplane",
            "--port",
            str(port),
            "--edge-url",
            f"http://127.0.0.1:{edge_port}",
            "--snapshot",
            str(snapshot),
        ],
        cwd=ROOT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            assert process.poll() is None, f"control plane exited with {process.returncode}"
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                assert time.monotonic() < deadline, "control plane did not listen"
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=20)


def _ssm(url: str) -> object:
    return boto3.client(
        "ssm",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )


def _save(url: str, serial: int) -> None:
    reply = requests.post(f"{url}/_local/snapshot", json={"serial": serial}, timeout=30)
    assert reply.status_code == 200, reply.text


@pytest.mark.slow
def test_an_ssm_parameter_survives_a_snapshot_and_two_restarts(tmp_path: Path) -> None:
    snapshot = tmp_path / "controlplane.pickle"
    # Given a parameter (and a second version of it) in a control plane that saves its state
    with _control_plane(snapshot) as url:
        ssm = _ssm(url)
        ssm.put_parameter(Name="/postcards/flag", Value="one", Type="String")  # type: ignore[attr-defined]
        ssm.put_parameter(Name="/postcards/flag", Value="two", Type="String", Overwrite=True)  # type: ignore[attr-defined]
        _save(url, 1)

    # When the control plane starts again from the snapshot (as a second `make up` does), and again
    for serial in (2, 3):
        with _control_plane(snapshot) as url:
            health = requests.get(f"{url}/_local/health", timeout=10).json()
            parameter = _ssm(url).get_parameter(Name="/postcards/flag")["Parameter"]  # type: ignore[attr-defined]
            history = _ssm(url).get_parameter_history(Name="/postcards/flag")["Parameters"]  # type: ignore[attr-defined]
            # Then the parameter, its versions and the snapshot's meta are back
            assert health["snapshot"] == {"serial": serial - 1}
            assert (parameter["Value"], parameter["Version"]) == ("two", 2)
            assert [p["Value"] for p in history] == ["one", "two"]
            _save(url, serial)

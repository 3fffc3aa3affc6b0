"""Fixtures for applying the whole Terraform root to a moto server on loopback.

The root is copied to a temporary folder before it is initialised and applied, so the repository's
.terraform/, state and any backend override stay untouched. Terraform is driven through
python-terraform (see ``terraform_cli``), the way the design names.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from python_terraform import IsFlagged, IsNotFlagged, Terraform

from tests.local.cloud_support import free_ports

ROOT = Path(__file__).resolve().parents[2]
ARCH = "x86_64" if os.uname().machine in ("x86_64", "amd64") else "arm64"
REGION = "us-east-1"
DOMAIN = "postcards.localhost"
CONTAINER_API_URL = "http://127.0.0.1:4570"
MOTO_START_TIMEOUT_S = 30
# Every terraform command is bounded: a provider retrying a failing call would otherwise wait for
# its own operation timeouts (up to an hour).
TERRAFORM_COMMAND_TIMEOUT_S = 900


def _wait_for_port(port: int, process: subprocess.Popen[bytes], deadline_s: float) -> None:
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"control plane exited early with code {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"control plane did not listen on port {port} within {deadline_s} s")


@pytest.fixture(scope="session")
def moto_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("moto") / "moto.log"


@pytest.fixture(scope="session")
def moto_endpoint(moto_log: Path) -> Iterator[str]:
    """The local cloud's control plane (moto with local.controlplane.patches installed) on a free port.

    It is the same launcher ``make up`` runs, so the apply test and the local cloud share one moto
    patch set. Its edge URL points at a port nothing listens on: this test runs no functions, so an
    S3 notification (none is sent here) would only be logged as undeliverable.
    """
    port, edge_port = free_ports(2)
    env = {**os.environ, "MOTO_ACM_VALIDATION_WAIT": "1", "PYTHONUNBUFFERED": "1"}
    log = moto_log.open("wb")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "local.controlplane",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--edge-url",
            f"http://127.0.0.1:{edge_port}",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        _wait_for_port(port, process, MOTO_START_TIMEOUT_S)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    """build.sh's artifacts for this machine's architecture (incremental: quick when unchanged)."""
    subprocess.run(["./build.sh", "--arch", ARCH], cwd=ROOT, check=True, capture_output=True)
    path = ROOT / "build" / ARCH
    assert (path / "manifest.json").is_file(), "build.sh wrote no manifest"
    return path


def _bounded_terraform(folder: Path) -> Path:
    """A terraform launcher that ends the command after TERRAFORM_COMMAND_TIMEOUT_S (python-terraform
    has no timeout of its own and takes the binary as a single path)."""
    launcher = folder / "terraform-bounded"
    launcher.write_text(f'#!/bin/sh\nexec timeout {TERRAFORM_COMMAND_TIMEOUT_S} terraform "$@"\n')
    launcher.chmod(0o755)
    return launcher


def terraform_cli(working_dir: Path, variables: dict[str, Any]) -> Terraform:
    """A python-terraform handle on a copy of the root.

    python-terraform 0.10.1 predates Terraform 1.x in one place this test uses: its destroy() adds
    ``-force`` (removed in Terraform 0.15), so ``destroy_stack`` passes ``force=IsNotFlagged`` and
    ``auto_approve`` instead. Everything else works unchanged on Python 3.13.
    """
    return Terraform(
        working_dir=str(working_dir),
        variables=variables,
        terraform_bin_path=str(_bounded_terraform(working_dir.parent)),
    )


def destroy_stack(tf: Terraform) -> tuple[int, str, str]:
    code, out, err = tf.destroy(force=IsNotFlagged, auto_approve=IsFlagged, capture_output=True)
    return int(code), out, err


@dataclass
class AppliedStack:
    tf: Terraform
    endpoint: str
    outputs: dict[str, Any]
    apply_seconds: float
    # Terraform's plan right after the apply (exit code with -detailed-exitcode, stdout, stderr):
    # taken here, before any test runs, so no test order can put it after the destroy.
    second_plan: tuple[int, str, str]

    def client(self, service: str) -> Any:
        return boto3.client(
            service,
            endpoint_url=self.endpoint,
            region_name=REGION,
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )

    def output(self, name: str) -> Any:
        return self.outputs[name]["value"]


def _copy_root(target: Path) -> Path:
    """The root and its modules, without local state, caches, tests or backend overrides; site/ is
    linked so the default site_dir (<root>/../site) resolves as in the repository."""
    copy = target / "terraform"
    shutil.copytree(
        ROOT / "terraform",
        copy,
        ignore=shutil.ignore_patterns(".terraform", "*.tfstate*", "*_override.tf", "tests", "*.tfvars"),
    )
    if (ROOT / "site").exists():
        (target / "site").symlink_to(ROOT / "site", target_is_directory=True)
    return copy


@pytest.fixture(scope="module")
def applied_stack(
    moto_endpoint: str, artifacts_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[AppliedStack]:
    """The whole root applied to moto and planned again; destroyed when the module's tests are done,
    and the destroy checked there (a failure is an error of the last test's teardown)."""
    work = _copy_root(tmp_path_factory.mktemp("tf-moto"))
    with pytest.MonkeyPatch.context() as env:
        # The provider (like boto3) honours AWS_ENDPOINT_URL for every service.
        env.setenv("AWS_ENDPOINT_URL", moto_endpoint)
        env.setenv("AWS_ACCESS_KEY_ID", "test")
        env.setenv("AWS_SECRET_ACCESS_KEY", "test")
        env.setenv("AWS_REGION", REGION)
        env.delenv("AWS_PROFILE", raising=False)
        env.setenv("TF_IN_AUTOMATION", "1")
        tf = terraform_cli(
            work,
            {
                "local_endpoint": moto_endpoint,
                "domain_name": DOMAIN,
                "architecture": ARCH,
                "container_api_url": CONTAINER_API_URL,
                "artifacts_dir": str(artifacts_dir),
                # moto alone keeps no X-Ray sampling rules; the local cloud's edge serves them.
                "xray_sampling_rule_enabled": False,
            },
        )
        code, out, err = tf.init(capture_output=True, backend=True, reconfigure=IsNotFlagged)
        assert code == 0, f"terraform init failed:\n{out}\n{err}"

        started = time.monotonic()
        code, out, err = tf.apply(skip_plan=True, capture_output=True)
        apply_seconds = time.monotonic() - started
        assert code == 0, f"terraform apply failed:\n{out[-4000:]}\n{err}"

        outputs = tf.output(capture_output=True)
        assert outputs, "terraform output returned nothing"
        plan = tf.plan(detailed_exitcode=IsFlagged, capture_output=True)
        stack = AppliedStack(
            tf=tf,
            endpoint=moto_endpoint,
            outputs=outputs,
            apply_seconds=apply_seconds,
            second_plan=(int(plan[0]), plan[1], plan[2]),
        )
        yield stack
        _destroy_and_check(stack)


def _destroy_and_check(stack: AppliedStack) -> None:
    """terraform destroy succeeds and leaves none of the stack's functions or API domains."""
    code, out, err = destroy_stack(stack.tf)
    assert code == 0, f"terraform destroy failed:\n{out[-4000:]}\n{err}"
    remaining = {f["FunctionName"] for f in stack.client("lambda").list_functions()["Functions"]}
    assert not remaining & set(stack.output("function_names").values()), f"left after destroy: {remaining}"
    assert stack.client("apigateway").get_domain_names()["items"] == [], "API domains left after destroy"

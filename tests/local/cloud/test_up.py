"""``python -m local up``: endpoints, one cloud per state folder, the aws CLI, reaping, clean stop."""

from __future__ import annotations

import json
import os
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import requests

from tests.local.cloud_support import ROOT, RunningCloud, invoke, start_cloud, stop_cloud

pytestmark = pytest.mark.slow  # every test here runs python -m local up, most the session's cloud


def test_endpoints_json_names_every_url_and_each_answers(cloud: RunningCloud) -> None:
    endpoints = cloud.endpoints

    for key in ("site_url", "api_url", "container_api_url", "aws_endpoint_url", "rest_api_id", "stage"):
        assert endpoints.get(key), key
    assert endpoints["api_url"].endswith(f"/{endpoints['stage']}")
    # The browser's URLs and the AWS endpoint are HTTPS, verified with the CA endpoints.json names
    https_port = endpoints["site_browser_url"].rsplit(":", 1)[1]
    assert endpoints["site_browser_url"] == f"https://www.postcards.localhost:{https_port}"
    assert endpoints["api_custom_domain_url"] == f"https://api.postcards.localhost:{https_port}"
    assert endpoints["api_execute_api_url"] == (
        f"https://{endpoints['rest_api_id']}.execute-api.localhost:{https_port}/{endpoints['stage']}"
    )
    assert endpoints["aws_endpoint_url"].startswith("https://127.0.0.1:")
    assert endpoints["container_api_url"].startswith("https://127.0.0.1:")
    assert Path(endpoints["ca_bundle"]).read_bytes().startswith(b"-----BEGIN CERTIFICATE-----")
    assert requests.get(endpoints["container_api_url"] + "/health", timeout=10, verify=cloud.ca_bundle).ok
    assert requests.get(endpoints["site_url"] + "/", timeout=10).status_code == 200
    assert requests.get(endpoints["api_url"] + "/v1/health", timeout=30).status_code == 200
    functions = cloud.client("lambda").list_functions()["Functions"]
    assert {"postcards", "thumbnails", "housekeeping"} <= {
        f["FunctionName"].split("-")[-1] for f in functions
    }


def test_the_site_is_served_with_the_security_headers_terraform_gives(cloud: RunningCloud) -> None:
    # Given the headers the root gives the site (CloudFront's response headers policy on AWS)
    given = cloud.endpoints["terraform_outputs"]["site_security_headers"]

    # When the page is fetched from the CloudFront stand-in
    headers = requests.get(cloud.endpoints["site_url"] + "/", timeout=10).headers

    # Then it carries them: AWS's CSP (upgrade-insecure-requests, no plain-HTTP origin) and HSTS,
    # admitting the HTTPS origins the local site talks to
    for name, value in given.items():
        assert headers[name] == value
    policy = headers["Content-Security-Policy"]
    browser_api = cloud.endpoints["terraform_outputs"]["browser_urls"]["api_url"]
    assert f" {browser_api} " in policy
    assert f" {cloud.aws_endpoint_url}" in policy  # presigned photo uploads go there
    assert policy.endswith("; upgrade-insecure-requests")
    assert "http://" not in policy
    assert headers["Strict-Transport-Security"] == "max-age=63072000; includeSubDomains; preload"


def test_a_first_up_serves_before_the_provider_waits_on_what_no_data_plane_reads(cloud: RunningCloud) -> None:
    # Given the session's cloud as it was when it said it was up (a first apply, on an empty state)
    terraform = cloud.endpoints["terraform"]

    # Then only changes no data plane reads were still pending (S3 lifecycle rules, DNS records)
    assert terraform["status"] == "applying"
    assert terraform["pending"]
    pending_types = {address.split("[")[0].rsplit(".", 2)[-2] for address in terraform["pending"]}
    assert pending_types <= {"aws_s3_bucket_lifecycle_configuration", "aws_route53_record"}, terraform

    # When the apply ends in the background
    cloud.wait_for_log("==> terraform (background", timeout_s=180)

    # Then endpoints.json says so, and what was pending exists
    after = json.loads((cloud.state_dir / "endpoints.json").read_text())
    assert after["terraform"] == {"status": "applied"}
    assert after["site_url"] == cloud.endpoints["site_url"]
    media = cloud.endpoints["terraform_outputs"]["media_bucket"]
    rules = cloud.client("s3").get_bucket_lifecycle_configuration(Bucket=media)["Rules"]
    assert {rule["ID"] for rule in rules} == {"expire-stale-uploads", "tidy-versions"}
    assert requests.get(cloud.endpoints["api_url"] + "/v1/health", timeout=30).status_code == 200


def test_a_second_up_on_the_same_state_folder_says_one_is_running(cloud: RunningCloud) -> None:
    # When another cloud is started on the running one's state folder
    second = subprocess.run(
        [sys.executable, "-m", "local", "up", "--state-dir", str(cloud.state_dir)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    # Then it refuses at once and names the running one
    assert second.returncode == 1
    assert "already running" in second.stderr
    assert f"pid {cloud.process.pid}" in second.stderr


def test_aws_cli_invoke_through_the_edge_runs_the_function(
    cloud: RunningCloud, deploy: Callable[..., str], tmp_path: Path
) -> None:
    # Given a function
    name = deploy(
        cloud, files={"app.py": "def handler(e, c):\n    return {'echo': e}\n"}, handler="app.handler"
    )
    outfile = tmp_path / "out.json"

    # When the aws CLI (a real client, not boto3) invokes it
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "awscli",
            "lambda",
            "invoke",
            "--endpoint-url",
            cloud.aws_endpoint_url,
            "--ca-bundle",
            cloud.ca_bundle,
            "--region",
            "us-east-1",
            "--function-name",
            name,
            "--payload",
            '{"from": "cli"}',
            str(outfile),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test"},
        check=False,
    )

    # Then it prints Lambda's answer and writes the function's output
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"StatusCode": 200, "ExecutedVersion": "$LATEST"}
    assert json.loads(outfile.read_text()) == {"echo": {"from": "cli"}}


def test_aws_cli_reads_function_logs(cloud: RunningCloud, deploy: Callable[..., str]) -> None:
    name = deploy(cloud)
    answer, _ = invoke(cloud, name)
    request_id = answer["ResponseMetadata"]["RequestId"]
    command = [
        sys.executable,
        "-m",
        "awscli",
        "logs",
        "filter-log-events",
        "--endpoint-url",
        cloud.aws_endpoint_url,
        "--ca-bundle",
        cloud.ca_bundle,
        "--region",
        "us-east-1",
        "--log-group-name",
        f"/aws/lambda/{name}",
        "--filter-pattern",
        f'"{request_id}"',
    ]
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test"}

    deadline = time.monotonic() + 30
    messages: list[str] = []
    while time.monotonic() < deadline and not any(m.startswith("REPORT") for m in messages):
        done = subprocess.run(command, capture_output=True, text=True, timeout=60, env=env, check=True)
        messages = [e["message"] for e in json.loads(done.stdout)["events"]]

    assert any(m.startswith(f"START RequestId: {request_id}") for m in messages)
    assert any(m.startswith(f"REPORT RequestId: {request_id}") for m in messages)


def test_idle_environments_are_reaped(bare_cloud: RunningCloud, deploy: Callable[..., str]) -> None:
    # Given a warm environment in a cloud that reaps after 3 s
    name = deploy(bare_cloud)
    _, first = invoke(bare_cloud, name)

    # When it stays idle past that, its process ends and the next invocation is a cold start
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and _alive(first["pid"]):
        time.sleep(0.2)
    _, after = invoke(bare_cloud, name)

    assert not _alive(first["pid"])
    assert after["cold"] is True


def test_stopping_leaves_no_process_behind(
    tmp_path: Path, lambda_role: Callable[[RunningCloud], str]
) -> None:
    # Given a cloud with a warm function environment
    running = start_cloud(tmp_path, "--no-terraform")
    from tests.local.cloud_support import zip_of

    running.client("lambda").create_function(
        FunctionName="warm",
        Runtime="python3.13",
        Role=lambda_role(running),
        Handler="app.handler",
        Code={"ZipFile": zip_of({"app.py": "import os\ndef handler(e, c):\n    return os.getpid()\n"})},
    )
    _, environment_pid = invoke(running, "warm")
    children = _descendants(running.process.pid)
    assert environment_pid in children

    # When it gets SIGTERM (what Ctrl-C in `make up` amounts to)
    code = stop_cloud(running)

    # Then it exits cleanly and every process it started is gone
    assert code == 0
    assert "==> stopped" in running.log()
    assert [pid for pid in children if _alive(pid)] == []
    assert not (running.state_dir / "endpoints.json").exists()


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"  # a zombie has exited


def _descendants(pid: int) -> set[int]:
    found: set[int] = set()
    parents = {pid}
    for _ in range(10):
        children = set()
        for proc in Path("/proc").iterdir():
            if not proc.name.isdigit():
                continue
            try:
                ppid = int(proc.joinpath("stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            if ppid in parents:
                children.add(int(proc.name))
        children -= found
        if not children:
            break
        found |= children
        parents = children
    return found


@pytest.mark.parametrize("flag", ["--edge-port", "--controlplane-port", "--apigateway-port", "--https-port"])
def test_a_port_in_use_is_named(flag: str, tmp_path: Path) -> None:
    import socket

    from tests.local.cloud_support import free_ports

    ports = dict(
        zip(
            [
                "--edge-port",
                "--controlplane-port",
                "--container-api-port",
                "--apigateway-port",
                "--site-port",
                "--https-port",
            ],
            map(str, free_ports(6)),
            strict=True,
        )
    )
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        ports[flag] = str(busy.getsockname()[1])
        done = subprocess.run(
            [sys.executable, "-m", "local", "up", "--state-dir", str(tmp_path), "--no-terraform"]
            + [part for item in ports.items() for part in item],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    assert done.returncode == 1
    assert f"port {ports[flag]}" in done.stderr
    assert flag in done.stderr


def test_a_second_up_comes_back_with_its_data_and_terraform_sees_no_changes(tmp_path: Path) -> None:
    # Given a cloud that was brought up (terraform applied), used, and stopped
    from tests.local.cloud_support import free_ports

    ports = [str(port) for port in free_ports(6)]
    flags = [
        f"--{name}-port={port}"
        for name, port in zip(
            ("edge", "controlplane", "container-api", "apigateway", "site", "https"), ports, strict=True
        )
    ]
    first = start_cloud(tmp_path / "first", "--state-dir", str(tmp_path / "state"), *flags)
    first.wait_for_log("==> terraform (background", timeout_s=300)  # the first apply's last changes
    https_port = int(ports[-1])
    first_ca = Path(first.ca_bundle).read_bytes()
    first_leaves = {name: served_certificate(https_port, name, first.ca_bundle) for name in SERVED_NAMES}
    marker = f"kept-{time.time_ns()}"
    bucket = next(b["Name"] for b in first.client("s3").list_buckets()["Buckets"] if "media" in b["Name"])
    first.client("s3").put_object(Bucket=bucket, Key=f"uploads/{marker}", Body=b"kept")
    assert stop_cloud(first) == 0

    # When it is brought up again with nothing changed
    second = start_cloud(tmp_path / "second", "--state-dir", str(tmp_path / "state"), *flags)
    try:
        output = second.wait_for_log("==> terraform (background", timeout_s=300)

        # Then it serves at once from the restored control plane, data included, and Terraform
        # (run in the background) finds nothing to do
        assert "inputs unchanged since the last apply" in output
        assert "Resources: 0 added, 0 changed, 0 destroyed" in output.split("==> terraform (background")[1]
        body = second.client("s3").get_object(Bucket=bucket, Key=f"uploads/{marker}")["Body"].read()
        assert body == b"kept"
        assert requests.get(second.endpoints["api_url"] + "/v1/health", timeout=30).status_code == 200
        # and it serves HTTPS with the same CA and the same certificates, not new ones
        assert Path(second.ca_bundle).read_bytes() == first_ca
        assert {name: served_certificate(https_port, name, second.ca_bundle) for name in SERVED_NAMES} == (
            first_leaves
        )
    finally:
        stop_cloud(second)


SERVED_NAMES = ("api.postcards.localhost", "www.postcards.localhost", "abc.execute-api.localhost")


def served_certificate(port: int, name: str, ca_bundle: str) -> bytes:
    """The certificate (DER) the HTTPS port presents for ``name``, verified with ``ca_bundle``."""
    context = ssl.create_default_context(cafile=ca_bundle)
    with (
        socket.create_connection(("127.0.0.1", port), timeout=10) as raw,
        context.wrap_socket(raw, server_hostname=name) as tls,
    ):
        der = tls.getpeercert(binary_form=True)
    assert der is not None
    return der

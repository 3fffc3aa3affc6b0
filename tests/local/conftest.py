"""The local clouds for the end-to-end tests, started once per session with ``python -m local up``
(tests/local/cloud_support.py).

``cloud`` applies terraform/ like ``make up`` does. Tests read its URLs from ``cloud.endpoints`` (its
endpoints.json: ``site_url``, ``api_url``, ``container_api_url``, ``aws_endpoint_url``,
``rest_api_id``, ``stage``...) and talk to it over HTTP and HTTPS, verified with the session's local
CA (``local_ca``).

``chaos_cloud`` is the same with ``--var chaos_enabled=true`` (FIS's templates and extension).

``bare_cloud`` is a second, smaller cloud without Terraform (an empty control plane, a short idle
timeout) for the executor tests that must stop a cloud or wait for reaping.

A test that uses either is marked ``slow`` here, so ``pytest tests/local -m "not slow"`` runs every
test that needs no cloud process (in process, seconds) and never starts one.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from tests.local.cloud_support import PROBE, RunningCloud, start_cloud, stop_cloud, zip_of

HERE = Path(__file__).resolve().parent
CLOUD_FIXTURES = frozenset({"cloud", "bare_cloud", "chaos_cloud"})


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.path.is_relative_to(HERE) and CLOUD_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session", autouse=True)
def local_ca(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The session's local CA folder (as a user's, outside any clone): every cloud the tests start
    shares it, and the user's own CA is never touched."""
    folder = tmp_path_factory.mktemp("local-ca")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("LOCAL_CA_DIR", str(folder))
        yield folder


@pytest.fixture(scope="session")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningCloud]:
    """The whole local cloud (terraform/ applied), once per session."""
    running = start_cloud(tmp_path_factory.mktemp("cloud"))
    yield running
    stop_cloud(running)


def _start_chaos_cloud(directory: Path) -> RunningCloud:
    running = start_cloud(directory, "--var", "chaos_enabled=true")
    try:
        # The FIS templates (a CloudFormation stack) and their outputs come with the apply's end,
        # which a first up finishes after it serves: endpoints.json then names every output.
        running.wait_for_log("==> terraform (background", timeout_s=600)
        running.endpoints = json.loads((running.state_dir / "endpoints.json").read_text())
    except BaseException:
        stop_cloud(running)
        raise
    return running


@pytest.fixture(scope="session", autouse=True)
def _chaos_cloud_starting(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, local_ca: Path
) -> Iterator[Future[RunningCloud] | None]:
    """The chaos cloud, started in the background as the session begins when a collected test
    needs it. Most of its start is the AWS provider's fixed waits, not work: each S3 lifecycle
    configuration is read until it is seen 3 times in a row at least 10 s apart (the provider's
    waitLifecycleRulesEquals), 55 s here, an SQS queue's attributes 25 s. Those waits then overlap
    the tests that run before the chaos experiments instead of adding to them."""
    if not any("chaos_cloud" in getattr(item, "fixturenames", ()) for item in request.session.items):
        yield None
        return
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="chaos-cloud") as starter:
        starting = starter.submit(_start_chaos_cloud, tmp_path_factory.mktemp("chaos"))
        yield starting
        if starting.exception() is None:  # waits for a start still under way; stopping twice is harmless
            stop_cloud(starting.result())


@pytest.fixture(scope="session")
def chaos_cloud(_chaos_cloud_starting: Future[RunningCloud] | None) -> RunningCloud:
    """The whole local cloud as ``make up UP_FLAGS="--var chaos_enabled=true"`` makes it: the FIS
    extension on the API function, the FIS templates and their stop alarm (tests/local/fis, and the
    FIS experiments in tests/local/chaos). Stopped at the session's end."""
    assert _chaos_cloud_starting is not None  # a test that asks for it was collected
    return _chaos_cloud_starting.result()


@pytest.fixture(scope="session")
def bare_cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningCloud]:
    """A cloud without Terraform, reaping idle environments after 3 s."""
    running = start_cloud(tmp_path_factory.mktemp("bare"), "--no-terraform", "--idle-timeout", "3")
    yield running
    stop_cloud(running)


@pytest.fixture(scope="session")
def lambda_role() -> Callable[[RunningCloud], str]:
    roles: dict[str, str] = {}

    def role_for(running: RunningCloud) -> str:
        if running.aws_endpoint_url not in roles:
            iam = running.client("iam")
            document = json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"Service": "lambda.amazonaws.com"},
                            "Action": "sts:AssumeRole",
                        }
                    ],
                }
            )
            name = f"test-lambda-{uuid.uuid4().hex[:8]}"
            roles[running.aws_endpoint_url] = iam.create_role(
                RoleName=name, AssumeRolePolicyDocument=document
            )["Role"]["Arn"]
            # The local cloud evaluates what functions call against their role (local/services/iam):
            # the suites' own probes and recorders may call anything.
            anything = {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
            }
            iam.put_role_policy(
                RoleName=name, PolicyName="tests-may-call-anything", PolicyDocument=json.dumps(anything)
            )
        return roles[running.aws_endpoint_url]

    return role_for


@pytest.fixture
def deploy(lambda_role: Callable[[RunningCloud], str]) -> Callable[..., str]:
    """deploy(cloud, files={...} or None for PROBE, handler=..., **CreateFunction options) -> name."""

    def create(
        running: RunningCloud,
        files: dict[str, str] | None = None,
        handler: str = "probe.handler",
        **options: Any,
    ) -> str:
        name = f"test-{uuid.uuid4().hex[:10]}"
        running.client("lambda").create_function(
            FunctionName=name,
            Runtime="python3.13",
            Role=lambda_role(running),
            Handler=handler,
            Code={"ZipFile": zip_of(files if files is not None else {"probe.py": PROBE})},
            **{"Timeout": 10, "MemorySize": 128, **options},
        )
        return name

    return create

"""The control plane sends each service the root module uses one read-only request at start
(``local.controlplane.warm_up``), so that moto's per-service set-up is done before Terraform's apply
sends its first wave. The set-up must land where Terraform's own requests are routed, and leave
nothing behind that Terraform would see."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import make_server

from local.aws_clients import control_plane_client
from local.controlplane.warm_up import WARM_UP_CALLS, warm_up

# The SigV4 signing names the AWS provider signs with, one per service the root module uses (moto
# routes requests to one shared endpoint by the Authorization header's credential scope).
SIGNING_NAMES = (
    "sts",
    "s3",
    "iam",
    "lambda",
    "route53",
    "acm",
    "cloudfront",
    "apigateway",
    "dynamodb",
    "sqs",
    "sns",
    "logs",
    "monitoring",
    "events",
)
# JSON-protocol services name the operation in X-Amz-Target, which moto's routing reads too.
TARGETS = {"dynamodb": "DynamoDB_20120810.DescribeTable"}


def _signed_request(signing_name: str) -> dict[str, str]:
    """The WSGI environ of a request to the single local endpoint, signed for ``signing_name``."""
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/",
        "HTTP_HOST": "127.0.0.1:4566",
        "HTTP_AUTHORIZATION": (
            f"AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/{signing_name}/aws4_request, "
            "SignedHeaders=host;x-amz-date, Signature=0"
        ),
    }
    if signing_name in TARGETS:
        environ["HTTP_X_AMZ_TARGET"] = TARGETS[signing_name]
    return environ


class Served:
    def __init__(self) -> None:
        self.dispatcher = DomainDispatcherApplication(create_backend_app)
        self.server = make_server("127.0.0.1", 0, self.dispatcher, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def client(self, service: str) -> Any:
        return control_plane_client(service, self.url, "us-east-1")


@contextlib.contextmanager
def _serve() -> Iterator[Served]:
    served = Served()
    served.thread.start()
    try:
        yield served
    finally:
        served.server.shutdown()
        served.thread.join(timeout=10)


@pytest.fixture(scope="module")
def warmed() -> Iterator[Served]:
    """moto on a free loopback port, warmed up once."""
    with _serve() as served:
        warm_up(served.url)
        yield served


@pytest.fixture
def fresh() -> Iterator[Served]:
    """moto on a free loopback port that has served nothing."""
    with _serve() as served:
        yield served


@pytest.mark.parametrize("signing_name", SIGNING_NAMES)
def test_terraforms_first_request_finds_its_service_set_up(warmed: Served, signing_name: str) -> None:
    # Given a warmed-up control plane, when a request signed for a service the root uses arrives,
    # then it is routed to an app the warm-up built (no app is built while the request waits).
    built = dict(warmed.dispatcher.app_instances)
    app = warmed.dispatcher.get_application(_signed_request(signing_name))
    assert any(app is prebuilt for prebuilt in built.values()), f"{signing_name}: app built on first request"
    assert len(warmed.dispatcher.app_instances) == len(built)


def test_every_warm_up_call_is_a_real_read_only_operation(warmed: Served) -> None:
    # Given the warm-up list, then each entry names an operation its service's client has (a typo
    # would only print a warning at start), and the warm-up created nothing Terraform would find.
    for service, operation in WARM_UP_CALLS:
        assert hasattr(warmed.client(service), operation), f"{service}.{operation}"
        assert operation.startswith(("get_", "list_", "describe_")), f"{service}.{operation} may write"
    assert warmed.client("s3").list_buckets()["Buckets"] == []
    assert warmed.client("lambda").list_functions()["Functions"] == []


def test_a_failing_call_is_reported_and_the_others_still_run(
    fresh: Served, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a call list whose first entry fails, when warming up, then the failure is reported on
    # stderr and the next service is still set up.
    warm_up(fresh.url, [("s3", "no_such_operation"), ("sqs", "list_queues")])
    captured = capsys.readouterr()
    assert "warm-up of s3 failed" in captured.err
    assert "1 services warmed up" in captured.out
    assert "sqs" in fresh.dispatcher.app_instances

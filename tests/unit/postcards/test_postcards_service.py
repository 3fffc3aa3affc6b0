"""The service around the routes: health, instance facts, CORS, routing errors, failures."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.unit.lambda_context import FakeLambdaContext
from tests.unit.postcards.api_client import SITE_ORIGIN, ApiClient

ROOT = Path(__file__).resolve().parents[3]


def test_health_reports_the_version(api: ApiClient) -> None:
    reply = api.get("/v1/health")

    assert reply.status == 200
    assert reply.json == {"status": "ok", "version": "1.2.3-test"}


class TestInstance:
    def test_first_invocation_is_cold_and_later_ones_warm(self, fresh_environment: ModuleType) -> None:
        api = ApiClient(fresh_environment)

        first = api.get("/v1/instance").json
        second = api.get("/v1/instance").json
        third = api.get("/v1/instance").json

        assert [first["cold_start"], second["cold_start"], third["cold_start"]] == [True, False, False]
        assert [first["invocation_count"], second["invocation_count"], third["invocation_count"]] == [1, 2, 3]
        assert first["environment_id"] == second["environment_id"] == third["environment_id"]

    def test_every_invocation_counts_not_only_instance_calls(self, fresh_environment: ModuleType) -> None:
        api = ApiClient(fresh_environment)
        api.get("/v1/health")
        api.get("/v1/postcards")

        facts = api.get("/v1/instance").json

        assert facts["cold_start"] is False
        assert facts["invocation_count"] == 3

    def test_a_new_environment_has_a_new_id(self, fresh_environment: ModuleType) -> None:
        before = ApiClient(fresh_environment).get("/v1/instance").json

        importlib.reload(importlib.import_module("postcards.environment"))
        after = ApiClient(importlib.reload(fresh_environment)).get("/v1/instance").json

        assert after["environment_id"] != before["environment_id"]
        assert after["cold_start"] is True

    def test_a_provisioned_environment_has_no_cold_start(
        self, fresh_environment: ModuleType, monkeypatch: Any
    ) -> None:
        # Given an environment Lambda initialised ahead of traffic (provisioned concurrency)
        monkeypatch.setenv("AWS_LAMBDA_INITIALIZATION_TYPE", "provisioned-concurrency")
        api = ApiClient(fresh_environment)

        # When its first and second invocations ask who served them
        first, second = api.get("/v1/instance").json, api.get("/v1/instance").json

        # Then neither waited for an init: no cold start, though the first is its first invocation
        assert [first["cold_start"], second["cold_start"]] == [False, False]
        assert [first["invocation_count"], second["invocation_count"]] == [1, 2]
        assert first["initialization_type"] == second["initialization_type"] == "provisioned-concurrency"

    def test_a_hold_keeps_the_invocation_busy_that_long(self, api: ApiClient) -> None:
        started = time.monotonic()
        held = api.get("/v1/instance?hold_ms=150")
        held_for = time.monotonic() - started

        assert held.status == 200
        assert held.json["held_ms"] == 150
        assert held_for >= 0.15

    @pytest.mark.parametrize(
        ("query", "held_ms"), [("", 0), ("?hold_ms=", 0), ("?hold_ms=0", 0), ("?hold_ms=1000", 1000)]
    )
    def test_a_hold_is_optional_and_at_most_a_second(self, api: ApiClient, query: str, held_ms: int) -> None:
        reply = api.get(f"/v1/instance{query}")

        assert reply.status == 200
        assert reply.json["held_ms"] == held_ms

    @pytest.mark.parametrize("hold", ["1001", "-1", "abc", "1e3", "0.5", "9" * 12, "%20"])
    def test_a_hold_outside_0_to_1000_ms_is_refused_at_once(self, api: ApiClient, hold: str) -> None:
        started = time.monotonic()
        reply = api.get(f"/v1/instance?hold_ms={hold}")

        assert reply.status == 400
        assert reply.error["code"] == "invalid_query"
        assert reply.error["message"] == "hold_ms must be an integer from 0 to 1000"
        assert time.monotonic() - started < 1.0  # refused, not held

    def test_describes_the_function_and_the_request(
        self, fresh_environment: ModuleType, monkeypatch: Any
    ) -> None:
        monkeypatch.setenv("AWS_EXECUTION_ENV", "AWS_Lambda_python3.13")
        monkeypatch.setenv("AWS_LAMBDA_INITIALIZATION_TYPE", "provisioned-concurrency")
        context = FakeLambdaContext(
            function_name="postcards-prod", function_version="12", memory_limit_in_mb=512
        )
        api = ApiClient(fresh_environment, context)

        reply = api.get("/v1/instance")

        facts = reply.json
        assert facts["function_name"] == "postcards-prod"
        assert facts["function_version"] == "12"
        assert facts["memory_limit_mb"] == 512
        assert facts["runtime"] == "python3.13"
        assert facts["initialization_type"] == "provisioned-concurrency"
        assert facts["architecture"] in {"x86_64", "arm64"}
        assert facts["python_version"].startswith(f"{sys.version_info.major}.{sys.version_info.minor}.")
        assert facts["region"] == "us-east-1"
        assert facts["request_id"] == reply.request_id
        assert facts["aws_request_id"] == context.aws_request_id
        assert facts["log_stream_name"] == context.log_stream_name
        assert facts["handler_init_ms"] > 0
        assert facts["init_duration_ms"] >= facts["handler_init_ms"] - 10  # /proc ticks are 10 ms
        assert facts["initialized_at"].endswith("+00:00")
        assert len(facts["environment_id"]) == 32

    def test_runtime_outside_lambda_names_the_interpreter(self, api: ApiClient, monkeypatch: Any) -> None:
        monkeypatch.delenv("AWS_EXECUTION_ENV", raising=False)

        facts = api.get("/v1/instance").json

        assert facts["runtime"] == f"python{sys.version_info.major}.{sys.version_info.minor}"
        assert facts["initialization_type"] == "on-demand"

    def test_without_proc_the_process_init_duration_is_unknown(
        self, api: ApiClient, monkeypatch: Any
    ) -> None:
        import builtins

        real_open = builtins.open

        def no_proc(path: Any, *args: Any, **kwargs: Any) -> Any:
            if str(path).startswith("/proc/"):
                raise FileNotFoundError(path)
            return real_open(path, *args, **kwargs)

        monkeypatch.setattr(builtins, "open", no_proc)

        facts = api.get("/v1/instance").json

        assert facts["init_duration_ms"] is None
        assert facts["handler_init_ms"] > 0

    def test_without_a_boot_clock_the_process_init_duration_is_unknown(
        self, api: ApiClient, monkeypatch: Any
    ) -> None:
        from postcards import environment

        monkeypatch.delattr("time.CLOCK_BOOTTIME")
        for name in ("ready_since_boot", "handler_init_ms", "initialised_at"):  # restored afterwards
            monkeypatch.setattr(environment._State, name, getattr(environment._State, name))
        environment.mark_initialised()

        facts = api.get("/v1/instance").json

        assert facts["init_duration_ms"] is None
        assert facts["handler_init_ms"] > 0


def test_a_fresh_interpreter_starts_cold_without_aws_clients_or_write_machinery() -> None:
    """Given a new interpreter (a real new environment) with tracing off, importing the handler
    creates no AWS client and loads neither boto3, idempotency nor the X-Ray SDK; the first
    GET /v1/postcards creates only the DynamoDB client and still loads no idempotency; that first
    invocation is the environment's cold one."""
    script = textwrap.dedent(
        """
        import json, sys
        import postcards.handler as handler
        from common import aws
        imported = {"boto3": "boto3" in sys.modules,
                    "clients": aws.client.cache_info().currsize,
                    "idempotency": "aws_lambda_powertools.utilities.idempotency" in sys.modules,
                    "xray": any(name.startswith(("aws_xray_sdk", "common.xray")) for name in sys.modules)}
        from moto import mock_aws
        from tests.unit.stack import Stack, create_stack
        from tests.unit.postcards.api_client import ApiClient
        with mock_aws():
            create_stack(Stack())
            api = ApiClient(handler)
            feed = api.get("/v1/postcards")
            after_get = {"idempotency": "aws_lambda_powertools.utilities.idempotency" in sys.modules,
                         "clients": aws.client.cache_info().currsize}
            instance = [api.get("/v1/instance").json for _ in range(2)]
        print(json.dumps({"imported": imported, "feed": feed.status, "after_get": after_get,
                          "cold": [i["cold_start"] for i in instance],
                          "count": [i["invocation_count"] for i in instance]}))
        """
    )
    report = run_fresh_interpreter(script, POWERTOOLS_TRACE_DISABLED="true")

    assert report["imported"] == {"boto3": False, "clients": 0, "idempotency": False, "xray": False}
    assert report["feed"] == 200
    assert report["after_get"] == {"idempotency": False, "clients": 1}  # DynamoDB only
    assert report["cold"] == [False, False]  # the GET was this environment's cold start
    assert report["count"] == [2, 3]


def structured_log(handler: ModuleType, caplog: Any, message: str) -> dict[str, Any]:
    """The one log entry with ``message``, as the function's JSON formatter writes it."""
    [record] = [record for record in caplog.records if record.getMessage() == message]
    entry: dict[str, Any] = json.loads(handler.logger.registered_formatter.format(record))
    return entry


def test_with_tracing_on_lambda_the_tracer_is_our_x_ray_provider_and_the_sdk_is_never_imported(
    tmp_path: Path,
) -> None:
    """On Lambda with tracing on, Tracer's provider is ours (common.xray), tracing the AWS SDK
    through botocore's events: neither the X-Ray SDK nor wrapt (its patching library) is imported,
    by us or by Powertools."""
    script = textwrap.dedent(
        """
        import json, sys
        import postcards.handler as handler
        from common import aws
        tracer = handler.tracer
        sdk = sorted(name for name in sys.modules if name.split(".")[0] in ("aws_xray_sdk", "wrapt"))
        print(json.dumps({"provider": type(tracer.provider).__module__, "disabled": tracer.disabled,
                          "client_hooks": sorted(aws._client_hooks), "sdk": sdk}))
        """
    )

    report = run_fresh_interpreter(script, LAMBDA_TASK_ROOT=str(tmp_path))

    assert report == {"provider": "common.xray", "disabled": False, "client_hooks": ["xray"], "sdk": []}


def run_fresh_interpreter(script: str, **extra_env: str) -> Any:
    """Run ``script`` in a new interpreter with the function's environment; its last line of output
    is JSON, returned parsed."""
    env = {
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": f"{ROOT / 'functions'}:{ROOT}",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "POSTCARDS_TABLE": "postcards-test-postcards",
        "UPLOADS_TABLE": "postcards-test-uploads",
        "CURSOR_SIGNING_KEY_PARAMETER": "/postcards/test/cursor-signing-key",
        "MEDIA_BASE_URL": "https://www.example.test/media",
        "SITE_ORIGIN": SITE_ORIGIN,
        "POWERTOOLS_METRICS_NAMESPACE": "Postcards",
        "PYTHONDONTWRITEBYTECODE": "1",  # no __pycache__ left in functions/
        **extra_env,
    }
    result = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


class TestCors:
    def test_responses_to_the_site_carry_cors_headers(self, api: ApiClient) -> None:
        reply = api.get("/v1/postcards")

        assert reply.headers["access-control-allow-origin"] == SITE_ORIGIN
        assert "Location" in reply.headers["access-control-expose-headers"]
        assert reply.headers["vary"] == "Origin"

    def test_errors_carry_cors_headers_too(self, api: ApiClient) -> None:
        reply = api.post("/v1/postcards", {"author": ""})

        assert reply.status == 422
        assert reply.headers["access-control-allow-origin"] == SITE_ORIGIN

    @pytest.mark.parametrize(
        "origin", ["https://evil.example", None, "https://www.example.test.evil.example"]
    )
    def test_other_origins_get_no_cors_headers(self, api: ApiClient, origin: str | None) -> None:
        reply = api.get("/v1/postcards", origin=origin)

        assert reply.status == 200
        assert "access-control-allow-origin" not in reply.headers
        assert reply.headers["vary"] == "Origin"

    def test_preflight_allows_the_idempotency_header(self, api: ApiClient) -> None:
        reply = api.request(
            "OPTIONS",
            "/v1/postcards",
            headers={
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "idempotency-key",
            },
        )

        assert reply.status == 204
        assert reply.headers["access-control-allow-origin"] == SITE_ORIGIN
        assert {"GET", "POST"} <= set(reply.headers["access-control-allow-methods"].split(","))
        allowed_headers = {name.lower() for name in reply.headers["access-control-allow-headers"].split(",")}
        assert {"content-type", "idempotency-key"} <= allowed_headers

    def test_without_site_origin_there_are_no_cors_headers(
        self, handler: ModuleType, stack: Any, monkeypatch: Any
    ) -> None:
        monkeypatch.delenv("SITE_ORIGIN")
        try:
            reply = ApiClient(importlib.reload(handler)).get("/v1/health")
            assert reply.status == 200
            assert "access-control-allow-origin" not in reply.headers
        finally:
            monkeypatch.setenv("SITE_ORIGIN", stack.site_origin)
            importlib.reload(handler)


class TestRouting:
    def test_unknown_path_is_404_json(self, api: ApiClient) -> None:
        reply = api.get("/v1/nothing-here")

        assert reply.status == 404
        assert reply.error == {
            "code": "not_found",
            "message": "no route for GET /v1/nothing-here",
            "request_id": reply.request_id,
        }

    @pytest.mark.parametrize(
        ("method", "path", "allow"),
        [
            ("DELETE", "/v1/postcards", "GET, POST"),
            ("PUT", "/v1/postcards/" + "ab" * 16, "GET"),
            ("PATCH", "/v1/postcards/" + "ab" * 16, "GET"),
            ("GET", "/v1/uploads", "POST"),
            ("DELETE", "/v1/uploads/" + "ab" * 16, "GET"),
            ("POST", "/v1/instance", "GET"),
            ("HEAD", "/v1/health", "GET"),
        ],
    )
    def test_known_path_with_another_method_is_405_with_allow(
        self, api: ApiClient, method: str, path: str, allow: str
    ) -> None:
        reply = api.request(method, path)

        assert reply.status == 405
        assert reply.headers["allow"] == allow
        assert reply.error["code"] == "method_not_allowed"
        assert method in reply.error["message"]


class TestFailures:
    def test_unexpected_error_is_a_generic_500_logged_with_its_stack(
        self, api: ApiClient, handler: ModuleType, monkeypatch: Any, caplog: Any
    ) -> None:
        from postcards import postcard_store

        def broken(*_: Any) -> Any:
            raise RuntimeError("secret internal detail")

        monkeypatch.setattr(postcard_store, "page", broken)

        reply = api.get("/v1/postcards")

        assert reply.status == 500
        assert reply.error == {
            "code": "internal_error",
            "message": "internal server error",
            "request_id": reply.request_id,
        }
        assert "secret" not in reply.body
        assert "Traceback" not in reply.body
        entry = structured_log(handler, caplog, "unhandled error")
        assert entry["level"] == "ERROR"
        assert entry["correlation_id"] == reply.request_id
        assert "secret internal detail" in entry["exception"]
        assert "Traceback" in entry["exception"]

    def test_a_missing_setting_is_a_500_that_names_it_in_the_log(
        self, api: ApiClient, handler: ModuleType, monkeypatch: Any, caplog: Any
    ) -> None:
        monkeypatch.delenv("POSTCARDS_TABLE")

        reply = api.get("/v1/postcards")

        assert reply.status == 500
        assert "POSTCARDS_TABLE" not in reply.body
        entry = structured_log(handler, caplog, "unhandled error")
        assert "environment variable POSTCARDS_TABLE is not set" in entry["exception"]

    @pytest.mark.parametrize("code", ["ProvisionedThroughputExceededException", "ThrottlingException"])
    def test_aws_throttling_is_503_with_retry_after(
        self, api: ApiClient, monkeypatch: Any, code: str
    ) -> None:
        from common import aws

        def throttled(**_: Any) -> Any:
            raise ClientError({"Error": {"Code": code, "Message": "slow down"}}, "Query")

        monkeypatch.setattr(aws.dynamodb(), "query", throttled)

        reply = api.get("/v1/postcards")

        assert reply.status == 503
        assert reply.headers["retry-after"] == "1"
        assert reply.error["code"] == "service_unavailable"

    def test_throttling_wrapped_by_a_library_is_still_503(self, api: ApiClient, monkeypatch: Any) -> None:
        from postcards import postcard_store

        def wrapped(*_: Any) -> Any:
            try:
                raise ClientError({"Error": {"Code": "ThrottlingException", "Message": "x"}}, "PutItem")
            except ClientError as error:
                raise RuntimeError("Failed to save in progress record to idempotency store") from error

        monkeypatch.setattr(postcard_store, "put", wrapped)

        reply = api.post("/v1/postcards", {"author": "A", "message": "m"})

        assert reply.status == 503

    def test_throttled_postcard_write_is_503(self, api: ApiClient, monkeypatch: Any) -> None:
        from common import aws

        def throttled(**_: Any) -> Any:
            raise ClientError(
                {"Error": {"Code": "ThrottlingException", "Message": "x"}}, "TransactWriteItems"
            )

        monkeypatch.setattr(aws.dynamodb(), "transact_write_items", throttled)

        reply = api.post("/v1/postcards", {"author": "A", "message": "m", "upload_id": "ab" * 16})

        assert reply.status == 503

    def test_other_aws_errors_are_500(self, api: ApiClient, monkeypatch: Any) -> None:
        from common import aws

        def denied(**_: Any) -> Any:
            raise ClientError({"Error": {"Code": "AccessDeniedException", "Message": "no"}}, "Query")

        monkeypatch.setattr(aws.dynamodb(), "query", denied)

        assert api.get("/v1/postcards").status == 500


BAD_REQUESTS: list[tuple[str, str, dict[str, str | list[str]], str | bytes | None]] = [
    ("POST", "/v1/postcards", {"Content-Type": "application/json"}, '{"author": 1, "message": 2}'),
    ("POST", "/v1/postcards", {"Content-Type": "application/json"}, '{"author": "a"}'),
    (
        "POST",
        "/v1/postcards",
        {"Content-Type": "application/json"},
        '{"author": "a", "message": "b", "x": 1}',
    ),
    ("POST", "/v1/postcards", {"Content-Type": "application/json"}, '{"author": "", "message": ""}'),
    (
        "POST",
        "/v1/postcards",
        {"Content-Type": "application/json"},
        '{"author": "a", "message": "b", "upload_id": "x"}',
    ),
    (
        "POST",
        "/v1/postcards",
        {"Content-Type": "application/json"},
        '{"author": "a", "message": "b", "upload_id": "' + "0" * 32 + '"}',
    ),
    ("POST", "/v1/postcards", {"Content-Type": "application/json"}, '{"author": "\\udfff", "message": "b"}'),
    ("POST", "/v1/postcards", {"Content-Type": "application/json"}, "{" * 10 + "}" * 10),
    ("POST", "/v1/postcards", {"Content-Type": "application/json"}, b"\x00\x01\x02"),
    ("POST", "/v1/postcards", {"Content-Type": "application/json"}, "x" * 20_000),
    ("POST", "/v1/postcards", {"Content-Type": "text/html"}, "<p>hi</p>"),
    ("POST", "/v1/postcards", {}, None),
    (
        "POST",
        "/v1/postcards",
        {"Content-Type": "application/json", "Idempotency-Key": "k"},
        '{"author": "a", "message": "' + "m" * 281 + '"}',
    ),
    (
        "POST",
        "/v1/uploads",
        {"Content-Type": "application/json"},
        '{"content_type": "image/svg+xml", "size_bytes": 5}',
    ),
    (
        "POST",
        "/v1/uploads",
        {"Content-Type": "application/json"},
        '{"content_type": "image/png", "size_bytes": 1e99}',
    ),
    (
        "POST",
        "/v1/uploads",
        {"Content-Type": "application/json"},
        '{"content_type": "image/png", "size_bytes": 99999999}',
    ),
    ("POST", "/v1/uploads", {"Content-Type": "application/json"}, "[1, 2, 3]"),
    (
        "POST",
        "/v1/uploads",
        {"Content-Type": "application/json"},
        '{"content_type": "image/png", "size_bytes": -1e400}',
    ),
    ("GET", "/v1/postcards?limit=1e3", {}, None),
    ("GET", "/v1/instance?hold_ms=5000", {}, None),
    ("GET", "/v1/postcards?cursor=%00%01", {}, None),
    ("GET", "/v1/postcards/%2e%2e%2f", {}, None),
    ("GET", "/v1/uploads/..%2Fsecret", {}, None),
    ("PUT", "/v1/uploads", {"Content-Type": "application/json"}, "{}"),
]


@pytest.mark.parametrize(("method", "target", "headers", "body"), BAD_REQUESTS)
def test_bad_input_never_yields_a_5xx_or_a_stored_item(
    api: ApiClient,
    tables: Any,
    method: str,
    target: str,
    headers: dict[str, str | list[str]],
    body: str | bytes | None,
) -> None:
    reply = api.request(method, target, headers=headers, body=body)

    assert 400 <= reply.status < 500
    assert reply.error["code"]
    assert tables.postcards() == []
    assert tables.uploads() == []
    assert tables.idempotency_records() == []

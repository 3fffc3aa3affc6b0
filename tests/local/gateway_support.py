"""Helpers for the data-plane tests that need no executor: an in-process moto server on a free
loopback port (with the API Gateway patches the control plane installs), the project's OpenAPI
document rendered as Terraform renders it, and fake Invokers."""

from __future__ import annotations

import asyncio
import json
import urllib.request
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import yaml

from local.invoke import InvocationType, InvokeResult

ROOT = Path(__file__).resolve().parents[2]
OPENAPI = ROOT / "terraform" / "modules" / "api" / "openapi.yaml"
REGION = "us-east-1"
ACCOUNT = "123456789012"
POSTCARDS_INVOKE_URI = (
    f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/"
    f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:postcards:live/invocations"
)
SITE_ORIGIN = "http://www.postcards.localhost:4590"


def render_openapi(container_api_url: str, invoke_uri: str = POSTCARDS_INVOKE_URI) -> str:
    """The contract with its template variables filled in, as JSON (what Terraform sends)."""
    text = OPENAPI.read_text()
    for name, value in {
        "postcards_invoke_uri": invoke_uri,
        "container_api_url": container_api_url,
        "site_origin": SITE_ORIGIN,
    }.items():
        text = text.replace("${" + name + "}", value)
    return json.dumps(yaml.safe_load(text))


@dataclass
class MotoServer:
    url: str

    def client(self, service: str) -> Any:
        return boto3.session.Session().client(
            service,
            endpoint_url=self.url,
            region_name=REGION,
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )


def moto_server() -> Iterator[MotoServer]:
    """A fixture body: moto on a free port in this process, reset afterwards."""
    from moto.server import ThreadedMotoServer  # heavy: only for the tests that start one

    from local.apigateway import moto_patches

    moto_patches.install()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    try:
        yield MotoServer(url)
    finally:
        # Backends are process-global: leave none of this module's state to the next one.
        urllib.request.urlopen(
            urllib.request.Request(f"{url}/moto-api/reset", method="POST"), timeout=10
        ).close()
        server.stop()


Handler = Callable[[str, dict[str, Any], str | None], Awaitable[InvokeResult] | InvokeResult]


@dataclass
class FakeInvoker:
    """Records every Invoke; answers with ``handler(function, event, qualifier)``."""

    handler: Handler
    calls: list[tuple[str, str | None, InvocationType, dict[str, Any]]] = field(default_factory=list)

    async def invoke(
        self,
        function_name: str,
        payload: bytes,
        *,
        qualifier: str | None = None,
        invocation_type: InvocationType = "RequestResponse",
    ) -> InvokeResult:
        event = json.loads(payload)
        self.calls.append((function_name, qualifier, invocation_type, event))
        result = self.handler(function_name, event, qualifier)
        if asyncio.iscoroutine(result):
            return await result
        assert isinstance(result, InvokeResult)
        return result


def proxy_result(status: int = 200, body: Any = None, **extra: Any) -> InvokeResult:
    document = {"statusCode": status, "body": json.dumps(body if body is not None else {}), **extra}
    return InvokeResult(200, json.dumps(document).encode())


def echo_event(function: str, event: dict[str, Any], qualifier: str | None) -> InvokeResult:
    """A function that answers with the event it received."""
    return proxy_result(200, {"function": function, "qualifier": qualifier, "event": event})

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

from local.invoke import InvocationType, InvokeRequest, InvokeResult

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

    from local.services.apigateway import moto_patches

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

    async def invoke(self, request: InvokeRequest) -> InvokeResult:
        event = json.loads(request.payload)
        self.calls.append((request.function_name, request.qualifier, request.invocation_type, event))
        result = self.handler(request.function_name, event, request.qualifier)
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


class LoopThread:
    """An asyncio loop in a background thread, so servers under test serve while the test thread
    talks to them over HTTP with a plain blocking client."""

    def __init__(self) -> None:
        import threading

        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="servers-under-test", daemon=True)
        self._thread.start()

    def run(self, coroutine: Awaitable[Any], timeout: float = 30) -> Any:
        return asyncio.run_coroutine_threadsafe(_as_coroutine(coroutine), self.loop).result(timeout)

    def close(self) -> None:
        async def cancel_the_rest() -> None:
            current = asyncio.current_task()
            rest = [task for task in asyncio.all_tasks() if task is not current]
            for task in rest:
                task.cancel()
            await asyncio.gather(*rest, return_exceptions=True)

        self.run(cancel_the_rest())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=10)
        self.loop.close()


async def _as_coroutine(awaitable: Awaitable[Any]) -> Any:
    return await awaitable


def loop_thread() -> Iterator[LoopThread]:
    """A fixture body."""
    thread = LoopThread()
    try:
        yield thread
    finally:
        thread.close()


async def start_echo_server() -> tuple[Any, str]:
    """An HTTP server that answers every request with what it received (for HTTP_PROXY checks)."""
    from aiohttp import web

    async def echo(request: web.Request) -> web.Response:
        body = await request.read()
        response = web.json_response(
            {
                "method": request.method,
                "path": request.raw_path.split("?")[0],
                "query": request.query_string,
                "headers": [[k, v] for k, v in request.headers.items()],
                "body": body.decode("utf-8", errors="replace"),
            },
            status=int(request.headers.get("X-Echo-Status", "200")),
        )
        response.headers["X-Upstream"] = "echo"
        response.headers.add("Set-Cookie", "a=1")
        response.headers.add("Set-Cookie", "b=2")
        return response

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", echo)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner, f"http://127.0.0.1:{port}"


@dataclass(frozen=True)
class Reply:
    status: int
    headers: Any  # CIMultiDictProxy: case-insensitive, repeated names kept
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def http(
    loop: LoopThread,
    method: str,
    url: str,
    *,
    headers: dict[str, str] | None = None,
    data: bytes | None = None,
    json_body: Any = None,
    timeout: float = 30,
) -> Reply:
    """One real HTTP request (aiohttp client, no connection reuse), from the test thread."""
    import aiohttp

    async def send() -> Reply:
        async with (
            aiohttp.ClientSession(auto_decompress=False) as session,
            session.request(
                method,
                url,
                headers=headers,
                data=data,
                json=json_body,
                allow_redirects=False,
                timeout=aiohttp.ClientTimeout(total=timeout),
            ) as response,
        ):
            return Reply(response.status, response.headers.copy(), await response.read())

    return loop.run(send(), timeout=timeout + 5)  # type: ignore[no-any-return]


def contract_gateway_response(response_type: str, reply: Reply, message: str) -> tuple[int, Any]:
    """The status and body the contract's gateway response of ``response_type`` prescribes for
    ``reply`` (its template with $context filled in), so tests follow the contract as it evolves."""
    document = yaml.safe_load(OPENAPI.read_text())
    spec = document["x-amazon-apigateway-gateway-responses"][response_type]
    template = spec["responseTemplates"]["application/json"]
    body = template.replace("$context.error.messageString", json.dumps(message)).replace(
        "$context.requestId", reply.headers["x-amzn-RequestId"]
    )
    return int(spec["statusCode"]), json.loads(body)


# --- raw HTTP/1.1 over a loopback socket (what a client library would hide) --------------------


@dataclass(frozen=True)
class RawResponse:
    status: int
    header_lines: list[tuple[str, str]]  # as sent: order, repeats and the case of names
    body: bytes

    def header(self, name: str) -> str | None:
        """The last value of ``name`` (case-insensitive), or None."""
        values = self.headers_named(name)
        return values[-1] if values else None

    def headers_named(self, name: str) -> list[str]:
        return [value for key, value in self.header_lines if key.lower() == name.lower()]

    def json(self) -> Any:
        return json.loads(self.body)


class RawClient:
    """One blocking loopback connection that sends bytes as given and reads responses as sent."""

    def __init__(self, port: int, timeout: float = 10) -> None:
        import socket

        self.socket = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self._buffer = b""

    def __enter__(self) -> RawClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def send(self, data: bytes) -> None:
        self.socket.sendall(data)

    def close(self) -> None:
        self.socket.close()

    def _fill(self) -> None:
        chunk = self.socket.recv(65536)
        if not chunk:
            raise ConnectionError("the server closed the connection")
        self._buffer += chunk

    def read_response(self, *, head_only: bool = False) -> RawResponse:
        """One response (an interim 1xx one too); its body by Content-Length."""
        while b"\r\n\r\n" not in self._buffer:
            self._fill()
        head, self._buffer = self._buffer.split(b"\r\n\r\n", 1)
        status_line, *lines = head.decode("latin-1").split("\r\n")
        version, status, *_ = status_line.split(" ", 2)
        assert version == "HTTP/1.1", status_line
        header_lines = [(name, value.strip()) for name, _, value in (line.partition(":") for line in lines)]
        length = next((int(v) for k, v in header_lines if k.lower() == "content-length"), 0)
        if head_only or int(status) < 200:
            length = 0
        while len(self._buffer) < length:
            self._fill()
        body, self._buffer = self._buffer[:length], self._buffer[length:]
        return RawResponse(int(status), header_lines, body)

    def closed_by_server(self, within_s: float = 5) -> bool:
        """True once the server has closed its side (EOF or reset) within ``within_s``; unread
        bytes before the EOF are a protocol error here."""
        import time

        deadline = time.monotonic() + within_s
        while time.monotonic() < deadline:
            self.socket.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                chunk = self.socket.recv(65536)
            except TimeoutError:
                return False
            except (ConnectionResetError, BrokenPipeError):
                return True
            except OSError as error:
                raise AssertionError(f"unexpected socket error {error}") from error
            if not chunk:
                return True
            self._buffer += chunk
            raise AssertionError(f"unexpected bytes before close: {self._buffer[:200]!r}")
        return False

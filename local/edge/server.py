"""The edge server: one endpoint for every AWS API (default https://127.0.0.1:4566; the same port
answers plain HTTP too, for the local cloud's own clients and old scripts).

Terraform, the aws CLI, boto3 in tests and boto3 inside the functions (``AWS_ENDPOINT_URL``) all
talk to it. Requests go to moto unchanged (``local.edge.proxy``) except the Lambda operations in
``local.edge.lambda_api``, the X-Ray API (requests signed for ``xray``: ``local.services.xray.api``)
and OTLP/HTTP traces (unsigned ``POST /v1/traces``: ``local.services.xray.otlp``); FIS's experiment
operations (signed for ``fis``, ``/experiments...``: ``local.services.fis.api``); the local faults'
control endpoint (``/_local/faults``: ``local.cloud.faults``) and the faults themselves
(``local.edge.faults``) before a call is forwarded. Lambda write calls
that succeed are reported to the executor so that it drops cached configurations at once (and
re-reads provisioned concurrency). ``GET /_local/lambda/environments`` is the executor's status
(``local.services.lambda_.status``), which the local console reads.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import HttpVersion11, web
from aiohttp.web_request import BaseRequest

from local.edge import lambda_api
from local.edge.faults import EdgeFaults
from local.edge.proxy import Forwarder
from local.invoke import InvokeError, Invoker
from local.services.fis import api as fis_api
from local.services.fis.service import Fis
from local.services.lambda_ import status as lambda_status
from local.services.lambda_.functions import split_function_name
from local.services.xray import otlp
from local.services.xray.service import XRay
from local.tls.authority import LeafFiles
from local.tls.listener import Listener
from local.tls.policy import TlsPolicy, server_context
from local.tls.router import TlsRouter, TlsSite

# AWS's API endpoints accept TLS 1.2 and later:
# https://aws.amazon.com/blogs/security/tls-1-2-required-for-aws-endpoints/
TLS_POLICY = TlsPolicy(
    "AWS API endpoints (TLS 1.2+)",
    ssl.TLSVersion.TLSv1_2,
    ("ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-ECDSA-CHACHA20-POLY1305"),
)


FAULTS_PATH = "/_local/faults"


class Edge:
    def __init__(
        self,
        host: str,
        port: int,
        controlplane_url: str,
        invoker: Invoker,
        on_function_write: Callable[[str, str], None] = lambda name, path: None,
        *,
        xray: XRay | None = None,
        fis: Fis | None = None,
        tls_leaf: LeafFiles | None = None,
        environments: Callable[[], dict[str, Any]] | None = None,
        faults: EdgeFaults | None = None,
        faults_control: Callable[[BaseRequest], Awaitable[web.Response]] | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.invoker = invoker
        self.xray = xray
        self.fis = fis
        self.on_function_write = on_function_write
        self.environments = environments  # the executor's status, for the local console
        self.faults = faults or EdgeFaults()
        self.faults_control = faults_control  # serves FAULTS_PATH
        self.forwarder = Forwarder(controlplane_url)
        # Set once the control plane answers: until then requests wait here instead of failing, so
        # that clients (Terraform) can start while moto is still starting.
        self.upstream_ready = asyncio.Event()
        self._tls_leaf = tls_leaf  # the edge's certificate (localhost and the loopback addresses)
        self._listener: Listener | None = None
        self._web: web.Server | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    async def start(self) -> None:
        await self.forwarder.start()
        self._web = web.Server(self._handle, access_log=None, client_max_size=0)
        tls = None
        if self._tls_leaf is not None:
            context = server_context(self._tls_leaf, TLS_POLICY)
            tls = TlsRouter().single(TlsSite(("localhost",), context, self._web, TLS_POLICY.name))
        self._listener = Listener(self.host, self.port, plain=self._web, tls=tls)
        await self._listener.start()
        self.port = self._listener.port

    async def stop(self) -> None:
        if self._listener is not None:
            await self._listener.close()
            if self._web is not None:
                await self._web.shutdown(timeout=1.0)
        await self.forwarder.close()

    async def _handle(self, request: BaseRequest) -> web.StreamResponse:
        if not self.upstream_ready.is_set():
            await self.upstream_ready.wait()
        if request.headers.get("Expect", "").lower() == "100-continue" and request.version >= HttpVersion11:
            # As S3 does (botocore asks for it on every PutObject): over TLS, a client that waits for
            # it would otherwise hang, since TLS 1.3's session tickets look like the answer arriving.
            await request.writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        path = request.path
        if (local := await self._local_endpoint(request, path)) is not None:
            return local
        if path.startswith("/20") and _is_lambda(request):
            return await self._lambda(request, path)
        if self.xray is not None and request.method == "POST":
            authorization = request.headers.get("Authorization")
            if authorization is None and path == otlp.PATH:
                return await self._otlp(request, self.xray)
            if authorization is not None and "/xray/aws4_request" in authorization:
                response = self.xray.api.handle(path, await request.read())
                return web.Response(status=response.status, body=response.body, headers=response.headers)
        if (refused := await self.faults.apply(request)) is not None:
            return refused
        return await self._fis_or_forward(request, path)

    async def _fis_or_forward(self, request: BaseRequest, path: str) -> web.StreamResponse:
        """FIS's experiment operations run here (its template operations are moto's); the rest is moto's."""
        if self.fis is not None and _is_fis_experiment(request, path):
            answer = await fis_api.handle(self.fis, request.method, path, request.query, await request.read())
            return web.Response(status=answer.status, body=answer.body, headers=answer.headers)
        return await self.forwarder.forward(request)

    async def _local_endpoint(self, request: BaseRequest, path: str) -> web.StreamResponse | None:
        """The local cloud's own endpoints on the AWS endpoint (none of them AWS's): the executor's
        status for the console, and the local faults' control."""
        if path == lambda_status.PATH and request.method == "GET" and self.environments is not None:
            return web.json_response(self.environments())
        if self.faults_control is not None and path.startswith(FAULTS_PATH):
            return await self.faults_control(request)
        return None

    @staticmethod
    async def _otlp(request: BaseRequest, xray: XRay) -> web.Response:
        answer = xray.ingest_otlp(
            await request.read(),
            request.headers.get("Content-Type", ""),
            request.headers.get("Content-Encoding"),
        )
        return web.Response(status=answer.status, body=answer.body, content_type=answer.content_type)

    async def _lambda(self, request: BaseRequest, path: str) -> web.StreamResponse:
        method = request.method
        if method == "POST" and (match := lambda_api.INVOKE.match(path)) is not None:
            return await lambda_api.invoke(request, match["name"], self.invoker)
        if method == "POST" and (match := lambda_api.INVOKE_ASYNC.match(path)) is not None:
            return await lambda_api.invoke_async(request, match["name"], self.invoker)
        if method == "GET":
            return await self._lambda_read(request, path)
        response = await self.forwarder.forward(request)
        if response.status < 300 and (match := lambda_api.FUNCTION_WRITE.match(path)) is not None:
            with contextlib.suppress(
                InvokeError
            ):  # a name moto accepted but Invoke would not: nothing cached
                name, _ = split_function_name(match["name"], None)
                self.on_function_write(name, match["rest"] or "")
        return response

    async def _lambda_read(self, request: BaseRequest, path: str) -> web.StreamResponse:
        base = f"{request.scheme}://{request.host}"
        if lambda_api.GET_FUNCTION.match(path):
            return await self._rewritten(request, lambda body: lambda_api.with_code_location(body, base))
        if lambda_api.GET_LAYER_VERSION.match(path) or (
            lambda_api.GET_LAYER_BY_ARN.match(path) and request.query.get("find") == "LayerVersion"
        ):
            return await self._rewritten(request, lambda body: lambda_api.with_layer_location(body, base))
        return await self.forwarder.forward(request)

    async def _rewritten(self, request: BaseRequest, rewrite: Callable[[bytes], bytes]) -> web.Response:
        status, headers, body = await self.forwarder.fetch(request)
        if status == 200:
            body = rewrite(body)
        for name in ("Content-Length", "Transfer-Encoding", "Connection"):
            headers.popall(name, None)
        return web.Response(status=status, headers=headers, body=body)


def _is_lambda(request: BaseRequest) -> bool:
    """Signed requests name their service; unsigned ones on these paths are our own invocations."""
    authorization = request.headers.get("Authorization")
    return authorization is None or "/lambda/aws4_request" in authorization


def _is_fis_experiment(request: BaseRequest, path: str) -> bool:
    return fis_api.handles(path) and "/fis/aws4_request" in request.headers.get("Authorization", "")

"""The site server: the CloudFront distribution's stand-in (default http://127.0.0.1:4590).

Serves the distribution Terraform deployed (``loader`` reads it back from the control plane): each
request takes the first cache behaviour whose path pattern matches (else the default one), runs the
behaviour's viewer-request CloudFront Function (``functions``), and GETs the object from the
behaviour's S3 origin with a SigV4-presigned request through the AWS endpoint, as CloudFront's
Origin Access Control signs its requests. ``/`` serves the default root object; content types and
caching headers are the object's own (S3 metadata); the response headers policy's headers
(``headers_policy``) are added; custom error responses apply. Caching is not emulated: every request
is a miss. ``POST /_local/site/reload`` (or ``reload()``) re-reads the distribution.

HTTPS: the local cloud's HTTPS listener serves the aliases with this server's protocol (``protocol``).
A plain-HTTP request for an alias gets the behaviour's viewer protocol policy (301 to the HTTPS URL,
or 403). This port answers TLS too, since a browser that has seen the site's HSTS upgrades every port
of its names: such a request is sent on to the HTTPS port (301).
"""

from __future__ import annotations

import asyncio
import logging
import re
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote

import aiohttp
from aiohttp import web

from local.aws_clients import control_plane_client
from local.services.cloudfront import functions as cloudfront_functions
from local.services.cloudfront.functions import FunctionError, ViewerRequestFunction
from local.services.cloudfront.loader import read_distribution
from local.services.cloudfront.models import Behavior, Distribution
from local.terraform_state import StateError, TerraformState
from local.tls.listener import Listener
from local.tls.router import TlsRouter

log = logging.getLogger("local.services.cloudfront")

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 4590
# Origin response headers a viewer gets (the rest are S3's own x-amz-* and hop-by-hop headers).
_PASSED_HEADERS = (
    "Content-Type",
    "Content-Length",
    "Content-Encoding",
    "Content-Disposition",
    "Content-Language",
    "Content-Range",
    "Cache-Control",
    "Expires",
    "ETag",
    "Last-Modified",
    "Accept-Ranges",
)
_FORWARDED_REQUEST_HEADERS = (
    "Range",
    "If-None-Match",
    "If-Modified-Since",
    "If-Match",
    "If-Unmodified-Since",
)
_COMPRESSIBLE = re.compile(r"^(text/|application/(json|javascript|xml|manifest\+json)|image/svg\+xml)")


class SiteServer:
    """The distribution's data plane; a ``local.lifecycle.Service`` (start / reload / stop)."""

    def __init__(
        self,
        aws_endpoint_url: str,
        *,
        region: str = "us-east-1",
        host: str = DEFAULT_HOST,
        port: int = DEFAULT_PORT,
        terraform_state: Path | None = None,
        alias: str | None = None,
        tls: TlsRouter | None = None,
        https_port: int | None = None,
    ) -> None:
        self._endpoint = aws_endpoint_url
        self._region = region
        self.host = host
        self.port = port
        self._state_path = terraform_state
        self._alias = alias
        # HTTPS on this port too (browsers that have seen the site's HSTS upgrade every port of its
        # names), and where the viewer protocol policy sends plain-HTTP viewers (None: nowhere).
        self._tls = tls
        self.https_port = https_port
        self._listener: Listener | None = None
        self._s3 = control_plane_client("s3", aws_endpoint_url, region, s3={"addressing_style": "path"})
        self._distribution: Distribution | None = None
        self._functions: dict[str, ViewerRequestFunction] = {}
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def distribution(self) -> Distribution:
        if self._distribution is None:
            raise RuntimeError("site server not started")
        return self._distribution

    def _read(self) -> tuple[Distribution, dict[str, str]]:
        state = TerraformState.empty()
        if self._state_path is not None:
            try:
                state = TerraformState.load(self._state_path)
            except StateError as error:
                log.warning("%s; function associations and the headers policy will be missing", error)
        return read_distribution(self._endpoint, self._region, state, alias=self._alias)

    async def reload(self) -> None:
        distribution, code = await asyncio.to_thread(self._read)
        functions = {}
        for arn, source in code.items():
            runner = cloudfront_functions.load(arn.rsplit("/", 1)[-1], source)
            if runner is not None:
                functions[arn] = runner
        old, self._functions = self._functions, functions
        self._distribution = distribution
        for runner in old.values():
            await runner.close()
        for part, source in distribution.sources.items():
            log.info("distribution %s: %s from %s", distribution.id, part, source)

    async def start(self) -> None:
        await self.reload()
        self._session = aiohttp.ClientSession(auto_decompress=False)
        app = web.Application()
        app.router.add_post("/_local/site/reload", self._reload)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        self._listener = Listener(self.host, self.port, plain=self.protocol, tls=self._tls)
        await self._listener.start()
        self.port = self._listener.port

    @property
    def protocol(self) -> web.Server:
        """The distribution's HTTP protocol (the HTTPS listener serves the aliases with it)."""
        if self._runner is None or self._runner.server is None:
            raise RuntimeError("site server not started")
        return self._runner.server

    async def stop(self) -> None:
        if self._listener is not None:
            await self._listener.close()
            self._listener = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._session is not None:
            await self._session.close()
            self._session = None
        for runner in self._functions.values():
            await runner.close()
        self._functions = {}

    async def _reload(self, request: web.Request) -> web.Response:
        await self.reload()
        return web.json_response(
            {"distribution": self.distribution.id, "sources": dict(self.distribution.sources)}
        )

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        distribution = self.distribution
        raw_path = request.raw_path.split("?", 1)[0]
        behavior = distribution.behavior_for(raw_path)
        if (refused := self._viewer_protocol(request, distribution, behavior)) is not None:
            return refused
        if request.method not in behavior.allowed_methods:
            return _cloudfront_error(
                403, "This distribution is not configured to allow the HTTP request method"
            )
        uri = raw_path
        function = self._functions.get(behavior.viewer_request_function or "")
        if function is not None:
            try:
                result = await function.run(_viewer_request_event(distribution, request, uri))
            except FunctionError as error:
                log.warning("%s %s: %s", request.method, raw_path, error)
                return _cloudfront_error(503, "The CloudFront function associated with the request failed")
            if "statusCode" in result:
                return _function_response(result)
            uri = str(result.get("uri") or uri)
        if uri == "/" and distribution.default_root_object:
            uri = f"/{distribution.default_root_object}"
        response = await self._from_origin(request, distribution, behavior, uri)
        if response.status >= 400 and response.status in distribution.custom_error_responses:
            page, code = distribution.custom_error_responses[response.status]
            if page:
                page_behavior = distribution.behavior_for(page)
                replacement = await self._from_origin(
                    request, distribution, page_behavior, page, conditional=False
                )
                replacement.set_status(code or response.status)
                response = replacement
        self._finish(request, response, distribution, behavior)
        return response

    def _viewer_protocol(
        self, request: web.Request, distribution: Distribution, behavior: Behavior
    ) -> web.Response | None:
        """A request for one of the aliases that did not come by the HTTPS port.

        By plain HTTP it gets the behaviour's viewer protocol policy: redirect-to-https answers 301
        with the HTTPS URL, https-only 403 (allow-all serves it). By HTTPS on this port (a browser
        that has seen the site's HSTS upgrades ``http://<alias>:<this port>`` to https on the same
        port) it is sent to the HTTPS port too: the one origin the API's CORS allows. By loopback
        address (for scripts; no certificate names it) and without an HTTPS port it is served as is.
        https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_CacheBehavior.html
        """
        if self.https_port is None:
            return None
        name = (request.host or "").rsplit(":", 1)[0].lower()
        if name not in distribution.aliases:
            return None
        if request.secure:
            sockname = request.transport.get_extra_info("sockname") if request.transport else None
            if not isinstance(sockname, tuple) or sockname[1] == self.https_port:
                return None  # the HTTPS listener's own connection
        elif behavior.viewer_protocol_policy == "allow-all":
            return None
        elif behavior.viewer_protocol_policy == "https-only":
            return _cloudfront_error(403, "This distribution only accepts HTTPS")
        port = "" if self.https_port == 443 else f":{self.https_port}"
        response = web.Response(status=301, text="301 Moved Permanently\n", content_type="text/plain")
        response.headers["Location"] = f"https://{name}{port}{request.raw_path}"
        response.headers["X-Cache"] = "Redirect from cloudfront"
        return response

    async def _from_origin(
        self,
        request: web.Request,
        distribution: Distribution,
        behavior: Behavior,
        uri: str,
        *,
        conditional: bool = True,
    ) -> web.Response:
        origin = distribution.origins.get(behavior.origin_id)
        if origin is None:
            return _cloudfront_error(502, f"origin {behavior.origin_id} is not served locally")
        bucket, origin_path = origin
        key = unquote(f"{origin_path}{uri}".lstrip("/"))
        url = self._s3.generate_presigned_url(
            "get_object" if request.method != "HEAD" else "head_object",
            Params={"Bucket": bucket, "Key": key},
            ExpiresIn=60,
        )
        headers = {}
        if conditional:
            headers = {
                name: request.headers[name] for name in _FORWARDED_REQUEST_HEADERS if name in request.headers
            }
        assert self._session is not None
        async with self._session.request(request.method, url, headers=headers) as upstream:
            body = await upstream.read()
            response = web.Response(status=upstream.status, body=body if request.method != "HEAD" else None)
            for name in _PASSED_HEADERS:
                if name in upstream.headers and name != "Content-Length":
                    response.headers[name] = upstream.headers[name]
            if request.method == "HEAD" and "Content-Length" in upstream.headers:
                response.headers["Content-Length"] = upstream.headers["Content-Length"]
            return response

    @staticmethod
    def _finish(
        request: web.Request, response: web.Response, distribution: Distribution, behavior: Behavior
    ) -> None:
        for name, value, override in distribution.response_headers.get(
            behavior.response_headers_policy_id or "", ()
        ):
            if override or name not in response.headers:
                response.headers[name] = value
        response.headers["X-Cache"] = "Miss from cloudfront"
        response.headers["Via"] = f"1.1 {distribution.id}.local (CloudFront stand-in)"
        content_type = response.headers.get("Content-Type", "")
        size = len(response.body) if isinstance(response.body, bytes) else 0
        # CloudFront compresses 1 KB to 10 MB of compressible types, with gzip (or brotli), never deflate.
        accepts_gzip = "gzip" in request.headers.get("Accept-Encoding", "")
        if behavior.compress and _COMPRESSIBLE.match(content_type) and 1000 <= size <= 10_000_000:
            response.headers["Vary"] = "Accept-Encoding"
            if accepts_gzip and "Content-Encoding" not in response.headers:
                response.enable_compression(web.ContentCoding.gzip)


def _viewer_request_event(distribution: Distribution, request: web.Request, uri: str) -> dict[str, Any]:
    """The CloudFront Functions event (version 1.0) for a viewer request."""
    query: dict[str, Any] = {}
    for name, value in parse_qsl(request.query_string, keep_blank_values=True):
        entry = query.setdefault(name, {"value": value})
        if entry["value"] != value:
            entry.setdefault("multiValue", [{"value": entry["value"]}]).append({"value": value})
    headers: dict[str, Any] = {}
    for name, value in request.headers.items():
        headers.setdefault(name.lower(), {"value": value})
    cookies = {name: {"value": value} for name, value in request.cookies.items()}
    return {
        "version": "1.0",
        "context": {
            "distributionDomainName": distribution.domain_name,
            "distributionId": distribution.id,
            "eventType": "viewer-request",
            "requestId": uuid.uuid4().hex,
        },
        "viewer": {"ip": request.remote or "127.0.0.1"},
        "request": {
            "method": request.method,
            "uri": uri,
            "querystring": query,
            "headers": headers,
            "cookies": cookies,
        },
    }


def _function_response(result: dict[str, Any]) -> web.Response:
    """A response generated by the viewer-request function itself (e.g. a redirect)."""
    body = result.get("body")
    if isinstance(body, dict):
        body = body.get("data", "")
    response = web.Response(status=int(result["statusCode"]), text=body or None)
    for name, value in (result.get("headers") or {}).items():
        response.headers[name] = value.get("value", "") if isinstance(value, dict) else str(value)
    return response


def _cloudfront_error(status: int, message: str) -> web.Response:
    return web.Response(status=status, text=f"{status} ERROR\n{message}\n", content_type="text/plain")


async def start(
    aws_endpoint_url: str,
    *,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    region: str = "us-east-1",
    terraform_state: Path | None = None,
    alias: str | None = None,
    tls: TlsRouter | None = None,
    https_port: int | None = None,
) -> SiteServer:
    """Serve the distribution (the one with ``alias``, e.g. ``www.postcards.localhost``, or the only
    one); ``port=0`` picks a free port."""
    server = SiteServer(
        aws_endpoint_url,
        region=region,
        host=host,
        port=port,
        terraform_state=terraform_state,
        alias=alias,
        tls=tls,
        https_port=https_port,
    )
    await server.start()
    return server

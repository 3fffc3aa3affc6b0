"""The site server: the CloudFront distribution's stand-in (default http://127.0.0.1:4590).

Serves the distribution Terraform deployed, read back from the control plane: each request takes
the first cache behaviour whose path pattern matches (else the default one), runs the behaviour's
viewer-request CloudFront Function (``local.services.cloudfront.functions``), and GETs the object from the
behaviour's S3 origin with a SigV4-presigned request through the AWS endpoint, as CloudFront's
Origin Access Control signs its requests. ``/`` serves the default root object; content types and
caching headers are the object's own (S3 metadata); the response headers policy's headers are added;
custom error responses apply. Caching is not emulated: every request is a miss.

Sources: moto keeps the distribution's origins, behaviours, default root object, error responses
and the functions' code, but drops function associations and has no response headers policies;
those come from the Terraform state (what Terraform sent), when a state file is given.
"""

from __future__ import annotations

import asyncio
import fnmatch
import logging
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote

import aiohttp
from aiohttp import web
from botocore.exceptions import BotoCoreError, ClientError

from local.aws_clients import control_plane_client
from local.services.cloudfront import functions as cloudfront_functions
from local.services.cloudfront.functions import FunctionError, ViewerRequestFunction
from local.terraform_state import StateError, TerraformState

log = logging.getLogger("local.services.cloudfront.site")

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
_S3_DOMAIN = re.compile(r"^(?P<bucket>.+?)\.s3(?:[.-](?:dualstack\.)?[a-z0-9-]+)?\.amazonaws\.com$")
_COMPRESSIBLE = re.compile(r"^(text/|application/(json|javascript|xml|manifest\+json)|image/svg\+xml)")


@dataclass(frozen=True)
class Behavior:
    path_pattern: str | None  # None: the default behaviour
    origin_id: str
    allowed_methods: frozenset[str]
    compress: bool
    viewer_request_function: str | None = None  # function ARN
    response_headers_policy_id: str | None = None

    def matches(self, path: str) -> bool:
        if self.path_pattern is None:
            return True
        pattern = self.path_pattern if self.path_pattern.startswith("/") else f"/{self.path_pattern}"
        # CloudFront patterns: * any characters (slashes too), ? one character; case-sensitive.
        return fnmatch.fnmatchcase(path, pattern)


@dataclass(frozen=True)
class Distribution:
    id: str
    domain_name: str
    aliases: tuple[str, ...]
    default_root_object: str
    origins: Mapping[str, tuple[str, str]]  # origin id -> (bucket, origin path)
    behaviors: tuple[Behavior, ...]  # ordered behaviours, then the default one last
    custom_error_responses: Mapping[int, tuple[str, int | None]]  # error -> (page path, response code)
    response_headers: Mapping[str, tuple[tuple[str, str, bool], ...]] = field(default_factory=dict)
    sources: Mapping[str, str] = field(default_factory=dict)

    def behavior_for(self, path: str) -> Behavior:
        return next(b for b in self.behaviors if b.matches(path))


def _items(container: Any) -> list[Any]:
    return list((container or {}).get("Items") or [])


def _behavior(raw: dict[str, Any], path_pattern: str | None) -> Behavior:
    return Behavior(
        path_pattern=path_pattern,
        origin_id=raw["TargetOriginId"],
        allowed_methods=frozenset(_items(raw.get("AllowedMethods")) or ("GET", "HEAD")),
        compress=bool(raw.get("Compress")),
        response_headers_policy_id=raw.get("ResponseHeadersPolicyId") or None,
    )


def read_distribution(
    aws_endpoint_url: str, region: str, state: TerraformState, *, alias: str | None = None
) -> tuple[Distribution, dict[str, str]]:
    """The distribution (the one with ``alias`` among its aliases, else the only one) and the code
    of its viewer-request functions by ARN. Blocking (boto3)."""
    cloudfront = control_plane_client("cloudfront", aws_endpoint_url, region)
    summaries = _items(cloudfront.list_distributions().get("DistributionList"))
    if not summaries:
        raise LookupError("the control plane holds no CloudFront distribution")
    chosen = next((s for s in summaries if alias and alias in _items(s.get("Aliases"))), None)
    if chosen is None:
        if len(summaries) > 1:
            raise LookupError(f"{len(summaries)} distributions and none has the alias {alias!r}")
        chosen = summaries[0]
    config = cloudfront.get_distribution_config(Id=chosen["Id"])["DistributionConfig"]
    sources = {"origins, behaviours, root object, error responses": "control plane"}

    origins = {}
    for origin in _items(config.get("Origins")):
        match = _S3_DOMAIN.match(origin["DomainName"])
        if match is None:
            log.warning(
                "origin %s (%s) is not an S3 bucket; not served locally", origin["Id"], origin["DomainName"]
            )
            continue
        origins[origin["Id"]] = (match["bucket"], origin.get("OriginPath") or "")
    behaviors = [_behavior(raw, raw.get("PathPattern")) for raw in _items(config.get("CacheBehaviors"))]
    behaviors.append(_behavior(config["DefaultCacheBehavior"], None))

    # moto drops function associations: take them from what Terraform sent.
    state_distribution = next(
        (a for a in state.of_type("aws_cloudfront_distribution") if a.get("id") == chosen["Id"]), None
    )
    if state_distribution is not None:
        behaviors = _with_state_functions(behaviors, state_distribution)
        sources["function associations"] = "Terraform state"
    functions = _function_code(cloudfront, state, behaviors, sources)
    response_headers = _response_headers(cloudfront, state, behaviors, sources)

    errors = {}
    for item in _items(config.get("CustomErrorResponses")):
        code = item.get("ResponseCode")
        errors[int(item["ErrorCode"])] = (item.get("ResponsePagePath") or "", int(code) if code else None)
    distribution = Distribution(
        id=chosen["Id"],
        domain_name=chosen.get("DomainName", ""),
        aliases=tuple(_items(chosen.get("Aliases"))),
        default_root_object=config.get("DefaultRootObject") or "",
        origins=origins,
        behaviors=tuple(behaviors),
        custom_error_responses=errors,
        response_headers=response_headers,
        sources=sources,
    )
    return distribution, functions


def _with_state_functions(behaviors: list[Behavior], attributes: dict[str, Any]) -> list[Behavior]:
    def viewer_request(raw: dict[str, Any]) -> str | None:
        for association in raw.get("function_association") or []:
            if association.get("event_type") == "viewer-request":
                return str(association["function_arn"])
        return None

    by_pattern: dict[str | None, str | None] = {
        raw.get("path_pattern"): viewer_request(raw) for raw in attributes.get("ordered_cache_behavior") or []
    }
    for raw in attributes.get("default_cache_behavior") or []:
        by_pattern[None] = viewer_request(raw)
    return [
        Behavior(
            b.path_pattern,
            b.origin_id,
            b.allowed_methods,
            b.compress,
            by_pattern.get(b.path_pattern),
            b.response_headers_policy_id,
        )
        for b in behaviors
    ]


def _function_code(
    cloudfront: Any, state: TerraformState, behaviors: list[Behavior], sources: dict[str, str]
) -> dict[str, str]:
    code = {}
    for arn in {b.viewer_request_function for b in behaviors if b.viewer_request_function}:
        name = arn.rsplit("/", 1)[-1]
        try:
            raw = cloudfront.get_function(Name=name)["FunctionCode"].read()
            code[arn] = raw.decode() if isinstance(raw, bytes) else str(raw)
            sources["function code"] = "control plane"
        except (BotoCoreError, ClientError):
            found = next(
                (a["code"] for a in state.of_type("aws_cloudfront_function") if a.get("arn") == arn), None
            )
            if found is None:
                log.warning("CloudFront function %s: no code in the control plane or the state", arn)
                continue
            code[arn] = found
            sources["function code"] = "Terraform state"
    return code


def _response_headers(
    cloudfront: Any, state: TerraformState, behaviors: list[Behavior], sources: dict[str, str]
) -> dict[str, tuple[tuple[str, str, bool], ...]]:
    headers = {}
    for policy_id in {b.response_headers_policy_id for b in behaviors if b.response_headers_policy_id}:
        try:
            config = cloudfront.get_response_headers_policy(Id=policy_id)["ResponseHeadersPolicy"][
                "ResponseHeadersPolicyConfig"
            ]
            headers[policy_id] = tuple(_policy_headers_from_api(config))
            sources["response headers policy"] = "control plane"
        except (BotoCoreError, ClientError):
            found = next(
                (
                    a
                    for a in state.of_type("aws_cloudfront_response_headers_policy")
                    if a.get("id") == policy_id
                ),
                None,
            )
            if found is None:
                log.warning(
                    "response headers policy %s: not in the control plane or the state; not applied",
                    policy_id,
                )
                continue
            headers[policy_id] = tuple(_policy_headers_from_state(found))
            sources["response headers policy"] = "Terraform state"
    if not any(b.response_headers_policy_id for b in behaviors):
        # Where the control plane lacks response headers policies (the local cloud), the root leaves
        # the policy out and gives its headers as an output instead, for stand-ins like this one.
        given = state.outputs.get("site_security_headers")
        if isinstance(given, Mapping) and given:
            headers[""] = tuple((str(name), str(value), True) for name, value in given.items())
            sources["response headers policy"] = "Terraform output site_security_headers"
    return headers


def _security_headers(config: Mapping[str, Any], key: Any) -> list[tuple[str, str, bool]]:
    """(name, value, override) from a security headers config, either API (PascalCase) or state
    (snake_case) spelling; ``key`` maps an API name to the spelling in use."""
    out = []
    if csp := key(config, "ContentSecurityPolicy"):
        out.append(("Content-Security-Policy", key(csp, "ContentSecurityPolicy"), bool(key(csp, "Override"))))
    if hsts := key(config, "StrictTransportSecurity"):
        value = f"max-age={key(hsts, 'AccessControlMaxAgeSec')}"
        if key(hsts, "IncludeSubdomains"):
            value += "; includeSubDomains"
        if key(hsts, "Preload"):
            value += "; preload"
        out.append(("Strict-Transport-Security", value, bool(key(hsts, "Override"))))
    if options := key(config, "ContentTypeOptions"):
        out.append(("X-Content-Type-Options", "nosniff", bool(key(options, "Override"))))
    if frame := key(config, "FrameOptions"):
        out.append(("X-Frame-Options", key(frame, "FrameOption"), bool(key(frame, "Override"))))
    if referrer := key(config, "ReferrerPolicy"):
        out.append(("Referrer-Policy", key(referrer, "ReferrerPolicy"), bool(key(referrer, "Override"))))
    if xss := key(config, "XSSProtection"):
        value = "1" if key(xss, "Protection") else "0"
        if key(xss, "ModeBlock"):
            value += "; mode=block"
        elif report := key(xss, "ReportUri"):
            value += f"; report={report}"
        out.append(("X-XSS-Protection", value, bool(key(xss, "Override"))))
    return out


def _api_key(container: Mapping[str, Any], name: str) -> Any:
    return container.get(name)


def _snake(name: str) -> str:
    special = {"XSSProtection": "xss_protection", "IncludeSubdomains": "include_subdomains"}
    return special.get(name) or re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _state_key(container: Mapping[str, Any], name: str) -> Any:
    value = container.get(_snake(name))
    # Terraform blocks are lists of one object.
    return value[0] if isinstance(value, list) and value and isinstance(value[0], dict) else value


def _policy_headers_from_api(config: Mapping[str, Any]) -> list[tuple[str, str, bool]]:
    out = _security_headers(config.get("SecurityHeadersConfig") or {}, _api_key)
    for item in _items(config.get("CustomHeadersConfig")):
        out.append((item["Header"], item["Value"], bool(item.get("Override"))))
    return out


def _policy_headers_from_state(attributes: Mapping[str, Any]) -> list[tuple[str, str, bool]]:
    security = (attributes.get("security_headers_config") or [{}])[0]
    out = _security_headers(security, _state_key)
    for block in attributes.get("custom_headers_config") or []:
        for item in block.get("items") or []:
            out.append((item["header"], item["value"], bool(item.get("override"))))
    return out


class SiteServer:
    def __init__(
        self,
        aws_endpoint_url: str,
        *,
        region: str = "us-east-1",
        host: str = DEFAULT_HOST,
        port: int = DEFAULT_PORT,
        terraform_state: Path | None = None,
        alias: str | None = None,
    ) -> None:
        self._endpoint = aws_endpoint_url
        self._region = region
        self.host = host
        self.port = port
        self._state_path = terraform_state
        self._alias = alias
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
        site = web.TCPSite(self._runner, self.host, self.port, reuse_address=True)
        await site.start()
        if self.port == 0:
            self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
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
) -> SiteServer:
    """Serve the distribution (the one with ``alias``, e.g. ``www.postcards.localhost``, or the only
    one); ``port=0`` picks a free port."""
    server = SiteServer(
        aws_endpoint_url, region=region, host=host, port=port, terraform_state=terraform_state, alias=alias
    )
    await server.start()
    return server

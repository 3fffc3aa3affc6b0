"""The API Gateway REST data plane: what the local gateway does with each request.

Serves every deployed stage at ``http://<host>:<port>/<stage>/…``, by Host
``<api-id>.execute-api.localhost[:port]`` and by custom domain Host (base path mappings). The state is
an immutable snapshot read from the control plane at start (``reload()`` swaps in a new one); the
per-request path is lookups in tables compiled from it, one Invoke, and the response mapping.

The wire is ``http1`` (a lean HTTP/1.1 server): it hands over a ``Request`` with the whole body and
sends back the ``HttpResponse`` returned here. Admin endpoints (local cloud only, ``admin``) live under
``/_local/``: ``GET /_local/apigateway`` describes what is served and where each part came from;
``POST /_local/apigateway/reload`` re-reads the control plane; components can mount more (the
schedules do). The compiled tables live in ``snapshot``; what is left here is one cohesive thing,
the request path from admission to the access log line.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from local.invoke import Invoker
from local.services.apigateway import integrations, responses
from local.services.apigateway.access_logs import AccessLogFormat, AccessLogWriter
from local.services.apigateway.admin import PREFIX as ADMIN_PREFIX
from local.services.apigateway.admin import AdminRequest, AdminRoute, AdminRouter, json_reply
from local.services.apigateway.events import (
    EventContext,
    RequestIds,
    build_event,
    header_pairs,
    matches_media_type,
    query_pairs,
    request_time,
)
from local.services.apigateway.http1 import HttpServer, Request
from local.services.apigateway.integrations import IntegrationFailure, RequestParts
from local.services.apigateway.routing import Match, StageRoutes, Target
from local.services.apigateway.snapshot import Route, RouteRuntime, Snapshot, load_snapshot
from local.services.apigateway.telemetry import GatewayTelemetry, Integration, StageTrace
from local.services.apigateway.validation import missing_parameters, model_for, validate_body

log = logging.getLogger("local.services.apigateway")

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 4580
MAX_PAYLOAD_BYTES = 10 * 1024 * 1024  # API Gateway's 10 MB payload quota -> 413

__all__ = ["AdminRoute", "ApiGateway", "start"]


class Rejected(Exception):
    """The request ends with a gateway response before reaching the integration."""

    def __init__(self, error: responses.GatewayError) -> None:
        super().__init__(error.message)
        self.error = error


@dataclass(slots=True)  # built on every request: not frozen, frozen __init__ costs
class Accepted:
    target: Target
    match: Match
    runtime: RouteRuntime
    body: bytes
    query: list[tuple[str, str]]
    query_last: dict[str, str]
    headers: Mapping[str, str]  # case-insensitive


@dataclass(slots=True)
class Outcome:
    """How one request went, for its access log line."""

    ids: RequestIds
    started: float
    accepted: Accepted | None
    integration_ms: int | None
    error: responses.GatewayError | None
    trace: StageTrace | None = None
    integration: Integration | None = None


class ApiGateway:
    def __init__(
        self,
        invoker: Invoker,
        load: Callable[[], Snapshot],
        *,
        host: str = DEFAULT_HOST,
        port: int = DEFAULT_PORT,
        admin_routes: Iterable[AdminRoute] = (),
        access_log: AccessLogWriter | None = None,
        telemetry: GatewayTelemetry | None = None,
        client_tls: ssl.SSLContext | None = None,
    ) -> None:
        self._invoker = invoker
        self._client_tls = client_tls  # what HTTP_PROXY integrations verify HTTPS backends with
        self._access_log = access_log
        self._telemetry = telemetry
        self._access_formats: dict[str, AccessLogFormat] = {}
        self._load = load
        self.host = host
        self.port = port
        self._admin = AdminRouter(
            [
                AdminRoute("GET", "apigateway", self._describe),
                AdminRoute("POST", "apigateway/reload", self._reload),
                *admin_routes,
            ]
        )
        self._snapshot: Snapshot | None = None
        self._server: HttpServer | None = None
        self._session: aiohttp.ClientSession | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def server(self) -> HttpServer:
        """The HTTP server (tools and benchmarks drive its protocol directly)."""
        if self._server is None:
            raise RuntimeError("gateway not started")
        return self._server

    @property
    def snapshot(self) -> Snapshot:
        if self._snapshot is None:
            raise RuntimeError("gateway not started")
        return self._snapshot

    async def start(self) -> None:
        self._snapshot = await asyncio.to_thread(self._load)
        # auto_decompress off: HTTP_PROXY passes encoded bodies through with their Content-Encoding.
        self._session = aiohttp.ClientSession(
            auto_decompress=False,
            connector=aiohttp.TCPConnector(
                limit=0, enable_cleanup_closed=True, ssl=self._client_tls if self._client_tls else True
            ),
        )
        self._server = HttpServer(
            self._respond, refuse_too_large=self._refuse_too_large, max_body_bytes=MAX_PAYLOAD_BYTES
        )
        await self._server.start(self.host, self.port, backlog=1024)
        self.port = self._server.port

    async def stop(self) -> None:
        if self._server is not None:
            await self._server.close()
            self._server = None
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def reload(self) -> None:
        self._snapshot = await asyncio.to_thread(self._load)

    def endpoints(self) -> list[dict[str, str]]:
        """Every stage's URLs: by path, by execute-api host, and by custom domain."""
        snapshot = self.snapshot
        found = []
        for (api_id, stage_name), routes in snapshot.table.stages.items():
            found.append(
                {
                    "api_id": api_id,
                    "api_name": routes.api.name,
                    "stage": stage_name,
                    "url": f"{self.url}/{stage_name}",
                    "execute_api_url": f"http://{api_id}.execute-api.localhost:{self.port}/{stage_name}",
                }
            )
        for mapping in snapshot.state.base_path_mappings:
            base = f"/{mapping.base_path}" if mapping.base_path else ""
            found.append(
                {
                    "api_id": mapping.rest_api_id,
                    "stage": mapping.stage,
                    "domain_name": mapping.domain_name,
                    "base_path": base,
                    "custom_domain_url": f"http://{mapping.domain_name}:{self.port}{base}",
                }
            )
        return found

    # --- admin ---------------------------------------------------------------------------------

    async def _describe(self, request: AdminRequest) -> responses.HttpResponse:
        snapshot = self.snapshot
        apis = [
            {
                "id": api.id,
                "name": api.name,
                "stages": sorted(api.stages),
                "routes": [f"{m} {r.path}" for r in api.resources for m in sorted(r.methods)],
                "sources": dict(api.sources),
            }
            for api in snapshot.state.apis.values()
        ]
        return json_reply({"apis": apis, "endpoints": self.endpoints()})

    async def _reload(self, request: AdminRequest) -> responses.HttpResponse:
        await self.reload()
        return await self._describe(request)

    # --- data plane ----------------------------------------------------------------------------

    async def _respond(self, request: Request) -> responses.HttpResponse:
        if request.path.startswith(ADMIN_PREFIX) and (found := self._admin.find(request)) is not None:
            return await self._admin.respond(*found, request)
        started = time.perf_counter()
        snapshot = self.snapshot
        ids = RequestIds.new(request.headers.get("X-Amzn-Trace-Id"))
        route = snapshot.route(request.host, request.path, request.method)
        trace = None
        if self._telemetry is not None and route.target is not None:
            trace = self._telemetry.begin(route.target.routes, ids.trace_id, request)
        accepted = None
        integration_ms = None
        integration = None
        error = None
        result = None
        try:
            accepted = self._accept(request, route)
            integration_started = time.perf_counter()
            try:
                result = await self._integrate(snapshot, request, accepted, ids, trace)
            finally:
                integration_ended = time.perf_counter()
                integration_ms = int((integration_ended - integration_started) * 1000)
                integration = Integration.of(accepted.runtime, integration_started, integration_ended)
        except Rejected as rejected:
            error = rejected.error
        except IntegrationFailure as failure:
            log.warning("%s %s -> %d: %s", request.method, request.path, failure.error.status, failure.detail)
            error = failure.error
        outcome = Outcome(ids, started, accepted, integration_ms, error, trace, integration)
        return self._finish(request, route.target, outcome, result)

    def _refuse_too_large(self, request: Request) -> responses.HttpResponse:
        """A body over the 10 MB quota, refused before it is read: 413, unless API Gateway's order
        refuses the request earlier (no such route, throttled)."""
        started = time.perf_counter()
        snapshot = self.snapshot
        ids = RequestIds.new(request.headers.get("X-Amzn-Trace-Id"))
        route = snapshot.route(request.host, request.path, request.method)
        error = responses.REQUEST_TOO_LARGE
        try:
            self._admit(route)
        except Rejected as rejected:
            error = rejected.error
        return self._finish(request, route.target, Outcome(ids, started, None, None, error), None)

    def _finish(
        self,
        request: Request,
        target: Target | None,
        outcome: Outcome,
        result: responses.HttpResponse | None,
    ) -> responses.HttpResponse:
        """The answer (the integration's, or the gateway response for the error) with the ids, and
        its access log line."""
        routes = target.routes if target is not None else None
        tracing = routes is not None and routes.stage.tracing_enabled
        if outcome.error is not None:
            response = self._error(outcome.error, outcome.ids, routes, request)
        else:
            assert result is not None
            response = result
        self._add_ids(response.headers, outcome.ids, tracing)
        if self._access_log is not None and routes is not None and routes.stage.access_log is not None:
            self._write_access_log(request, response, routes, outcome)
        if self._telemetry is not None and routes is not None:
            self._telemetry.finished(
                routes,
                outcome.trace,
                request_id=outcome.ids.request_id,
                started=outcome.started,
                request=request,
                status=response.status,
                integration=outcome.integration,
            )
        if log.isEnabledFor(logging.DEBUG):
            elapsed_ms = (time.perf_counter() - outcome.started) * 1000
            log.debug("%s %s -> %d in %.2f ms", request.method, request.path, response.status, elapsed_ms)
        return response

    def _write_access_log(
        self, request: Request, response: responses.HttpResponse, routes: StageRoutes, outcome: Outcome
    ) -> None:
        ids, accepted, error, integration_ms = (
            outcome.ids,
            outcome.accepted,
            outcome.error,
            outcome.integration_ms,
        )
        started = outcome.started
        settings = routes.stage.access_log
        assert settings is not None
        assert self._access_log is not None
        compiled = self._access_formats.get(settings.format)
        if compiled is None:
            compiled = self._access_formats[settings.format] = AccessLogFormat.compile(settings.format)
        resource = accepted.match.resource if accepted is not None else None
        now = time.time()
        values = {
            "requestId": ids.request_id,
            "extendedRequestId": ids.extended_request_id,
            "identity.sourceIp": request.remote,
            "identity.userAgent": request.headers.get("User-Agent"),
            "requestTime": request_time(now),
            "requestTimeEpoch": int(now * 1000),
            "httpMethod": request.method,
            "resourcePath": resource.path if resource else None,
            "resourceId": resource.id if resource else None,
            "path": accepted.target.request_context_path if accepted else request.path,
            "status": response.status,
            "protocol": request.protocol,
            "responseLength": len(response.body),
            "responseLatency": int((time.perf_counter() - started) * 1000),
            "integrationLatency": integration_ms,
            "integrationStatus": response.status if error is None and integration_ms is not None else None,
            "error.message": error.message if error else None,
            "error.responseType": error.response_type if error else None,
            "xrayTraceId": ids.trace_id.removeprefix("Root=") if routes.stage.tracing_enabled else None,
            "stage": routes.stage.name,
            "apiId": routes.api.id,
            "accountId": self.snapshot.state.account_id,
            "domainName": accepted.target.domain_name if accepted else None,
        }
        self._access_log(settings.log_group, f"{routes.api.id}_{routes.stage.name}", compiled.render(values))

    @staticmethod
    def _admit(route: Route) -> tuple[Target, Match, RouteRuntime]:
        """A route, then throttling: the first of API Gateway's checks (before the body's)."""
        target, match, runtime = route.target, route.match, route.runtime
        if target is None or match is None or runtime is None:
            raise Rejected(responses.MISSING_AUTHENTICATION_TOKEN)
        if runtime.bucket is not None and not runtime.bucket.try_acquire():
            raise Rejected(responses.THROTTLED)
        return target, match, runtime

    def _accept(self, request: Request, route: Route) -> Accepted:
        """Routing, throttling, API key and request validation, in API Gateway's order (the HTTP
        server has refused bodies over the payload limit already, see ``_refuse_too_large``)."""
        target, match, runtime = self._admit(route)
        method = match.method
        api = target.routes.api
        headers = request.headers  # case-insensitive, as API Gateway treats header names
        if method.api_key_required and headers.get("x-api-key") not in api.api_key_values:
            raise Rejected(responses.INVALID_API_KEY)

        query = query_pairs(request.query_string)
        query_last = dict(query)
        if runtime.required_parameters:
            missing = missing_parameters(
                runtime.required_parameters,
                headers=headers,
                query=query_last,
                path=match.path_parameters,
            )
            if missing:
                raise Rejected(responses.bad_request_parameters(missing))
        if runtime.validators is not None:
            model = model_for(method, headers.get("Content-Type"))
            validator = runtime.validators.get(model) if model else None
            if validator is not None and (problem := validate_body(validator, request.body)) is not None:
                raise Rejected(responses.bad_request_body(problem))
        return Accepted(target, match, runtime, request.body, query, query_last, headers)

    async def _integrate(
        self,
        snapshot: Snapshot,
        request: Request,
        accepted: Accepted,
        ids: RequestIds,
        trace: StageTrace | None,
    ) -> responses.HttpResponse:
        runtime = accepted.runtime
        integration = runtime.method.integration
        if integration is None:
            raise IntegrationFailure(responses.INVOKE_REJECTED, "method has no integration")
        routes, match = accepted.target.routes, accepted.match
        stage = routes.stage
        peer = request.remote or "127.0.0.1"
        request_headers = request.headers
        downstream = trace.downstream if trace is not None else ids.trace_id
        headers = header_pairs(
            request.raw_headers,
            source_ip=peer,
            port=request.port or self.port,
            trace_id=downstream,
            scheme=request.scheme,
        )
        content_type = request_headers.get("Content-Type")
        if integration.type == "AWS_PROXY":
            if runtime.lambda_target is None:
                raise IntegrationFailure(responses.INVOKE_REJECTED, f"bad Lambda URI {integration.uri!r}")
            context = EventContext(
                http_method=request.method,
                raw_path=accepted.target.event_path,
                request_context_path=accepted.target.request_context_path,
                resource_path=match.resource.path,
                resource_id=match.resource.id,
                path_parameters=match.path_parameters,
                stage=stage.name,
                stage_variables=stage.variables,
                deployment_id=stage.deployment_id,
                api_id=routes.api.id,
                account_id=snapshot.state.account_id,
                domain_name=accepted.target.domain_name,
                domain_prefix=accepted.target.domain_prefix,
                protocol=request.protocol,
                source_ip=peer,
                user_agent=request_headers.get("User-Agent"),
                ids=ids,
            )
            binary = matches_media_type(content_type, routes.api.binary_media_types)
            return await integrations.invoke_lambda(
                self._invoker,
                runtime.lambda_target,
                build_event(context, headers, accepted.query, accepted.body, binary=binary),
                timeout_s=runtime.timeout_s,
                binary_media_types=routes.api.binary_media_types,
                accept=request_headers.get("Accept"),
                trace_header=downstream,
            )
        parts = RequestParts(
            method=request.method,
            headers=headers,
            headers_lower=accepted.headers,
            raw_query=request.query_string,
            query=accepted.query_last,
            path_parameters=match.path_parameters,
            stage_variables=stage.variables,
            body=accepted.body,
        )
        if integration.type == "HTTP_PROXY" and self._session is not None:
            return await integrations.http_proxy(
                self._session, integration, parts, timeout_s=runtime.timeout_s
            )
        if integration.type == "MOCK":
            return integrations.mock(integration, parts, content_type)
        raise IntegrationFailure(
            responses.INVOKE_REJECTED, f"integration type {integration.type} is not supported locally"
        )

    @staticmethod
    def _add_ids(headers: list[tuple[str, str]], ids: RequestIds, tracing: bool) -> None:
        headers.append(("x-amzn-RequestId", ids.request_id))
        headers.append(("x-amz-apigw-id", ids.extended_request_id))
        if tracing:
            headers.append(("X-Amzn-Trace-Id", ids.trace_id))

    @staticmethod
    def _error(
        error: responses.GatewayError, ids: RequestIds, routes: StageRoutes | None, request: Request
    ) -> responses.HttpResponse:
        customised: Mapping[str, Any] = routes.api.gateway_responses if routes else {}
        stage_variables: Mapping[str, str] = routes.stage.variables if routes else {}
        return responses.render_gateway_error(
            error,
            customised,
            context={
                "requestId": ids.request_id,
                "extendedRequestId": ids.extended_request_id,
                "stage": routes.stage.name if routes else "",
                "apiId": routes.api.id if routes else "",
            },
            request_headers=request.headers,
            stage_variables=stage_variables,
        )


async def start(
    invoker: Invoker,
    aws_endpoint_url: str,
    *,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    region: str = "us-east-1",
    terraform_state: Path | None = None,
    admin_routes: Iterable[AdminRoute] = (),
    access_log: AccessLogWriter | None = None,
    telemetry: GatewayTelemetry | None = None,
    client_tls: ssl.SSLContext | None = None,
) -> ApiGateway:
    """Read what is deployed from the control plane at ``aws_endpoint_url`` (plus the OpenAPI bodies
    in the Terraform state file, for what moto drops) and serve it; ``port=0`` picks a free port.

    ``access_log(group, stream, line)`` receives the stages' access log lines (none when omitted);
    ``telemetry`` records X-Ray segments and API Gateway's metrics (none when omitted).
    ``client_tls`` verifies HTTP_PROXY backends over HTTPS (default: the system's roots)."""
    gateway = ApiGateway(
        invoker,
        lambda: load_snapshot(aws_endpoint_url, region, terraform_state),
        host=host,
        port=port,
        admin_routes=admin_routes,
        access_log=access_log,
        telemetry=telemetry,
        client_tls=client_tls,
    )
    await gateway.start()
    return gateway

"""A deployed API Gateway, compiled for the hot path: the snapshot a gateway serves.

Read once from the control plane (and the Terraform state for what moto drops) at start and at
``reload()``; immutable afterwards. Every stage, resource and method is compiled into a
``RouteRuntime`` (throttling bucket, Lambda target, timeout, validators), and each request's route is
resolved once per (host, raw path, method) and remembered.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from local.aws_clients import control_plane_client
from local.services.apigateway import integrations, loader
from local.services.apigateway.models import GatewayState, LambdaTarget, Method, Resource
from local.services.apigateway.routing import Match, RoutingTable, StageRoutes, Target
from local.services.apigateway.throttling import TokenBucket, bucket_for
from local.services.apigateway.validation import ModelValidators
from local.terraform_state import StateError, TerraformState

log = logging.getLogger("local.services.apigateway")

ROUTE_CACHE_SIZE = 4096  # (host, path, method)s whose route a snapshot remembers


@dataclass(frozen=True)
class RouteRuntime:
    """Everything the hot path needs for one stage, resource and method, computed at load."""

    stage: StageRoutes
    resource: Resource
    method: Method
    bucket: TokenBucket | None
    lambda_target: LambdaTarget | None
    timeout_s: float
    required_parameters: tuple[str, ...]
    validators: ModelValidators | None  # set when the body is validated


@dataclass(frozen=True, slots=True)
class Route:
    """Where a request goes, found once per (host, raw path, method) and snapshot: the stage and
    resource path (None: no such stage), the resource and method (None: no such route), and what
    the hot path needs for them."""

    target: Target | None
    match: Match | None
    runtime: RouteRuntime | None


class Snapshot:
    def __init__(self, state: GatewayState) -> None:
        self.state = state
        self.table = RoutingTable(state)
        self._routes: dict[tuple[str, str, str], Route] = {}
        self._runtimes: dict[tuple[str, str, str, str], RouteRuntime] = {}
        for (api_id, stage_name), routes in self.table.stages.items():
            validators = ModelValidators(api_id, routes.api.models) if routes.api.models else None
            for resource in routes.api.resources:
                for name, method in resource.methods.items():
                    key = (api_id, stage_name, resource.id, name)
                    self._runtimes[key] = self._compile(routes, resource, method, validators)

    @staticmethod
    def _compile(
        routes: StageRoutes, resource: Resource, method: Method, validators: ModelValidators | None
    ) -> RouteRuntime:
        integration = method.integration
        target = None
        if integration is not None and integration.type == "AWS_PROXY":
            uri = integrations.substitute_stage_variables(integration.uri, routes.stage.variables)
            try:
                target = LambdaTarget.from_integration_uri(uri)
            except ValueError as error:
                log.warning("%s %s on %s: %s", method.http_method, resource.path, routes.api.name, error)
        if method.authorization_type not in ("NONE", ""):
            log.warning(
                "%s %s on %s: authorization %s is not enforced locally (the request passes)",
                method.http_method,
                resource.path,
                routes.api.name,
                method.authorization_type,
            )
        validator = method.validator
        required: tuple[str, ...] = ()
        if validator is not None and validator.validate_parameters:
            required = tuple(k for k, is_required in method.request_parameters.items() if is_required)
        return RouteRuntime(
            stage=routes,
            resource=resource,
            method=method,
            bucket=bucket_for(routes.stage.throttling, resource.path, method.http_method),
            lambda_target=target,
            timeout_s=(integration.timeout_ms if integration else 29_000) / 1000,
            required_parameters=required,
            validators=validators if validator is not None and validator.validate_body else None,
        )

    def runtime(self, routes: StageRoutes, resource: Resource, method: Method) -> RouteRuntime:
        return self._runtimes[(routes.api.id, routes.stage.name, resource.id, method.http_method)]

    def route(self, host: str, raw_path: str, http_method: str) -> Route:
        """The route of a request; remembered, as clients repeat their requests (a health check,
        a list): a repeat costs one lookup instead of resolving the host, stage and resource tree."""
        key = (host, raw_path, http_method)
        route = self._routes.get(key)
        if route is None:
            target = self.table.resolve(host, raw_path)
            match = target.routes.match(http_method, target.resource_path) if target is not None else None
            runtime = None
            if target is not None and match is not None:
                runtime = self.runtime(target.routes, match.resource, match.method)
            route = Route(target, match, runtime)
            if len(self._routes) >= ROUTE_CACHE_SIZE:  # bounded: a crawler's paths do not pile up
                self._routes.clear()
            self._routes[key] = route
        return route


def load_snapshot(aws_endpoint_url: str, region: str, terraform_state: Path | None) -> Snapshot:
    state = TerraformState.empty()
    if terraform_state is not None:
        try:
            state = TerraformState.load(terraform_state)
        except StateError as error:
            log.warning("%s; the OpenAPI parts moto drops will be missing", error)
    client = control_plane_client("apigateway", aws_endpoint_url, region)
    gateway_state = loader.load_state(
        client,
        region=region,
        account_id=loader.account_id(aws_endpoint_url, region),
        openapi_bodies=loader.openapi_bodies_from_state(state),
    )
    for api in gateway_state.apis.values():
        for part, source in api.sources.items():
            log.info("API %s (%s): %s from %s", api.name, api.id, part, source)
    return Snapshot(gateway_state)

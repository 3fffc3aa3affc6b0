"""Build a ``GatewayState`` from what Terraform deployed.

Primary source: the control plane (moto) through the API Gateway API, as the AWS console would read
it. Where moto's OpenAPI import keeps nothing (see ``openapi``), the same information comes from the
OpenAPI body Terraform sent, read from the Terraform state; ``RestApi.sources`` records which source
each part came from. Synchronous (boto3): run it off the event loop.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from local.aws_clients import control_plane_client
from local.services.apigateway.access_logs import log_group_of
from local.services.apigateway.models import (
    ANY_METHOD,
    DEFAULT_TIMEOUT_MS,
    AccessLogSettings,
    BasePathMapping,
    CustomDomain,
    GatewayResponse,
    GatewayState,
    Integration,
    IntegrationResponse,
    Method,
    RequestValidator,
    Resource,
    RestApi,
    Stage,
    Throttle,
)
from local.services.apigateway.openapi import (
    MethodExtras,
    OpenApiError,
    OpenApiExtras,
    extract,
    parse_document,
)
from local.terraform_state import TerraformState

log = logging.getLogger(__name__)

CONTROL_PLANE = "control plane"
DEFAULT_ACCOUNT_ID = "123456789012"  # moto's default account
_ANY_ALIASES = {"X-AMAZON-APIGATEWAY-ANY-METHOD": ANY_METHOD}


def openapi_bodies_from_state(state: TerraformState) -> dict[str, tuple[str, str]]:
    """rest api id -> (body, where it came from) for every ``aws_api_gateway_rest_api`` with a body."""
    bodies = {}
    for instance in state.instances:
        if instance.type == "aws_api_gateway_rest_api" and instance.attributes.get("body"):
            api_id = instance.attributes.get("id", "")
            bodies[api_id] = (
                instance.attributes["body"],
                f"OpenAPI body in Terraform state ({instance.address})",
            )
    return bodies


def load_state(
    client: Any,
    *,
    region: str,
    account_id: str = DEFAULT_ACCOUNT_ID,
    openapi_bodies: Mapping[str, tuple[str, str]] | None = None,
) -> GatewayState:
    bodies = openapi_bodies or {}
    apis = {}
    for summary in _pages(client.get_rest_apis, "items"):
        body = bodies.get(summary["id"])
        apis[summary["id"]] = _load_api(client, summary, body)
    domains = list(_pages(client.get_domain_names, "items"))
    return GatewayState(
        account_id=account_id,
        region=region,
        apis=apis,
        base_path_mappings=tuple(_base_path_mappings(client, domains)),
        custom_domains=tuple(
            CustomDomain(
                name=domain["domainName"].lower(),
                certificate_arn=domain.get("regionalCertificateArn") or domain.get("certificateArn"),
                security_policy=domain.get("securityPolicy"),
            )
            for domain in domains
        ),
    )


def _pages(operation: Callable[..., dict[str, Any]], key: str, **kwargs: Any) -> Iterator[dict[str, Any]]:
    position = None
    while True:
        page = operation(**kwargs, **({"position": position} if position else {}))
        yield from page.get(key, [])
        position = page.get("position")
        if not position:
            return


def _load_api(client: Any, summary: dict[str, Any], body: tuple[str, str] | None) -> RestApi:
    api_id = summary["id"]
    extras, extras_source = _extras(api_id, body)
    sources = {"resources, methods, integrations, stages": CONTROL_PLANE}

    validators = {
        item["id"]: RequestValidator(
            name=item.get("name", item["id"]),
            validate_body=bool(item.get("validateRequestBody")),
            validate_parameters=bool(item.get("validateRequestParameters")),
        )
        for item in _pages(client.get_request_validators, "items", restApiId=api_id)
    }
    models: dict[str, Any] = {}
    for item in _pages(client.get_models, "items", restApiId=api_id):
        try:
            models[item["name"]] = json.loads(item.get("schema") or "{}")
        except json.JSONDecodeError:
            log.warning("API %s: model %s has no valid JSON schema; ignored", api_id, item["name"])
    gateway_responses = {
        item["responseType"]: _gateway_response(item)
        for item in client.get_gateway_responses(restApiId=api_id).get("items", [])
        if not item.get("defaultResponse")
    }
    binary_media_types = tuple(summary.get("binaryMediaTypes") or ())

    if extras is not None:
        # Each part falls back to the body only where the control plane has nothing.
        if not models and extras.models:
            models = dict(extras.models)
            sources["models"] = extras_source
        if not gateway_responses and extras.gateway_responses:
            gateway_responses = dict(extras.gateway_responses)
            sources["gateway responses"] = extras_source
        if not binary_media_types and extras.binary_media_types:
            binary_media_types = extras.binary_media_types
            sources["binary media types"] = extras_source

    resources = []
    for item in _pages(client.get_resources, "items", restApiId=api_id, embed=["methods"]):
        methods = {}
        for raw_name, raw in (item.get("resourceMethods") or {}).items():
            name = _ANY_ALIASES.get(raw_name.upper(), raw_name.upper())
            method_extras = extras.methods.get((item["path"], name)) if extras else None
            methods[name] = _method(
                name,
                raw=raw,
                validators=validators,
                method_extras=method_extras,
                extras=extras,
                sources=sources,
                extras_source=extras_source,
            )
        resources.append(Resource(id=item["id"], path=item["path"], methods=methods))

    requires_key = any(m.api_key_required for r in resources for m in r.methods.values())
    return RestApi(
        id=api_id,
        name=summary.get("name", api_id),
        resources=tuple(resources),
        stages={s.name: s for s in _stages(client, api_id)},
        binary_media_types=binary_media_types,
        models=models,
        gateway_responses=gateway_responses,
        api_key_values=_api_key_values(client) if requires_key else frozenset(),
        sources=sources,
    )


def _extras(api_id: str, body: tuple[str, str] | None) -> tuple[OpenApiExtras | None, str]:
    if body is None:
        return None, ""
    text, source = body
    try:
        return extract(parse_document(text)), source
    except OpenApiError as error:
        log.warning("API %s: %s; using the control plane only", api_id, error)
        return None, ""


def _method(
    name: str,
    *,
    raw: dict[str, Any],
    validators: Mapping[str, RequestValidator],
    method_extras: MethodExtras | None,
    extras: OpenApiExtras | None,
    sources: dict[str, str],
    extras_source: str,
) -> Method:
    request_parameters = {k: bool(v) for k, v in (raw.get("requestParameters") or {}).items()}
    request_models = dict(raw.get("requestModels") or {})
    validator = validators.get(raw.get("requestValidatorId") or "")
    api_key_required = bool(raw.get("apiKeyRequired"))
    if method_extras is not None and extras is not None:
        if not request_parameters and method_extras.request_parameters:
            request_parameters = dict(method_extras.request_parameters)
            sources["method request parameters"] = extras_source
        if not request_models and method_extras.request_models:
            request_models = dict(method_extras.request_models)
            sources["method request models"] = extras_source
        if validator is None and (found := extras.validator_for(method_extras)) is not None:
            validator = found
            sources["request validators"] = extras_source
        api_key_required = api_key_required or method_extras.api_key_required
    integration = raw.get("methodIntegration")
    return Method(
        http_method=name,
        authorization_type=raw.get("authorizationType") or "NONE",
        api_key_required=api_key_required,
        request_parameters=request_parameters,
        request_models=request_models,
        validator=validator,
        integration=_integration(integration) if integration else None,
    )


def _integration(raw: dict[str, Any]) -> Integration:
    responses = tuple(
        IntegrationResponse(
            status_code=str(item.get("statusCode", status)),
            selection_pattern=item.get("selectionPattern") or "",
            response_parameters=dict(item.get("responseParameters") or {}),
            response_templates=dict(item.get("responseTemplates") or {}),
        )
        for status, item in (raw.get("integrationResponses") or {}).items()
    )
    return Integration(
        type=str(raw.get("type", "")).upper(),
        uri=raw.get("uri") or "",
        http_method=raw.get("httpMethod"),
        timeout_ms=int(raw.get("timeoutInMillis") or DEFAULT_TIMEOUT_MS),
        request_parameters=dict(raw.get("requestParameters") or {}),
        request_templates=dict(raw.get("requestTemplates") or {}),
        responses=responses,
    )


def _gateway_response(item: dict[str, Any]) -> GatewayResponse:
    status = item.get("statusCode")
    return GatewayResponse(
        response_type=item["responseType"],
        status_code=int(status) if status else None,
        response_parameters=dict(item.get("responseParameters") or {}),
        response_templates=dict(item.get("responseTemplates") or {}),
    )


def _stages(client: Any, api_id: str) -> Iterator[Stage]:
    for item in client.get_stages(restApiId=api_id).get("item", []):
        throttling = {}
        for key, settings in (item.get("methodSettings") or {}).items():
            if "throttlingRateLimit" in settings or "throttlingBurstLimit" in settings:
                throttling[_method_setting_key(key)] = Throttle(
                    rate=float(settings.get("throttlingRateLimit", -1)),
                    burst=int(settings.get("throttlingBurstLimit", -1)),
                )
        yield Stage(
            name=item["stageName"],
            deployment_id=item.get("deploymentId", ""),
            variables=dict(item.get("variables") or {}),
            tracing_enabled=bool(item.get("tracingEnabled")),
            throttling=throttling,
            access_log=_access_log(api_id, item),
        )


def _access_log(api_id: str, stage: dict[str, Any]) -> AccessLogSettings | None:
    settings = stage.get("accessLogSettings") or {}
    destination, text = settings.get("destinationArn"), settings.get("format")
    if not destination or not text:
        return None
    group = log_group_of(destination)
    if group is None:
        log.warning(
            "API %s stage %s: access logs to %s are not a log group; not written",
            api_id,
            stage["stageName"],
            destination,
        )
        return None
    return AccessLogSettings(group, text)


def _method_setting_key(key: str) -> str:
    """``*/*`` stays; ``~1v1~1postcards/POST`` (the patch-path form) becomes ``/v1/postcards/POST``."""
    if key == "*/*":
        return key
    return "/" + key.replace("~1", "/").lstrip("/")


def _api_key_values(client: Any) -> frozenset[str]:
    return frozenset(
        item["value"]
        for item in _pages(client.get_api_keys, "items", includeValues=True)
        if item.get("enabled") and item.get("value")
    )


def _base_path_mappings(client: Any, domains: list[dict[str, Any]]) -> Iterator[BasePathMapping]:
    for domain in domains:
        name = domain["domainName"]
        for item in _pages(client.get_base_path_mappings, "items", domainName=name):
            base_path = item.get("basePath") or ""
            yield BasePathMapping(
                domain_name=name.lower(),
                base_path="" if base_path == "(none)" else base_path.strip("/"),
                rest_api_id=item["restApiId"],
                stage=item.get("stage", ""),
            )


def account_id(aws_endpoint_url: str, region: str) -> str:
    """The control plane's account id (what requestContext.accountId reports)."""
    try:
        sts = control_plane_client("sts", aws_endpoint_url, region)
        return str(sts.get_caller_identity()["Account"])
    except (BotoCoreError, ClientError) as error:
        log.warning("could not read the account id (%s); using %s", error, DEFAULT_ACCOUNT_ID)
        return DEFAULT_ACCOUNT_ID

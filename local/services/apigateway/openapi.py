"""The parts of an OpenAPI 3 body that API Gateway honours and moto's import drops.

moto 5.2's PutRestApi keeps resources, methods and ``x-amazon-apigateway-integration``; it drops
request validators (``x-amazon-apigateway-request-validator(s)``), models (``components.schemas``),
method request parameters and request models, gateway responses
(``x-amazon-apigateway-gateway-responses``) and ``x-amazon-apigateway-binary-media-types``. This module
reads exactly those from the body Terraform sent, as AWS does on import.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

from local.services.apigateway.models import ANY_METHOD, GatewayResponse, RequestValidator

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch")
ANY_EXTENSION = "x-amazon-apigateway-any-method"
_PARAMETER_LOCATIONS = {"query": "querystring", "header": "header", "path": "path"}
_SCHEMA_REF_PREFIX = "#/components/schemas/"


class OpenApiError(ValueError):
    """The document is not an OpenAPI 3 document this gateway can read."""


@dataclass(frozen=True)
class MethodExtras:
    request_parameters: Mapping[str, bool] = field(default_factory=dict)
    request_models: Mapping[str, str] = field(default_factory=dict)
    validator_name: str | None = None  # None: the API's default validator, if any
    api_key_required: bool = False


@dataclass(frozen=True)
class OpenApiExtras:
    methods: Mapping[tuple[str, str], MethodExtras]  # (resource path, METHOD) -> extras
    validators: Mapping[str, RequestValidator]
    default_validator: str | None
    models: Mapping[str, Any]
    gateway_responses: Mapping[str, GatewayResponse]
    binary_media_types: tuple[str, ...]

    def validator_for(self, extras: MethodExtras) -> RequestValidator | None:
        name = extras.validator_name or self.default_validator
        return self.validators.get(name) if name else None


def parse_document(body: str | bytes) -> dict[str, Any]:
    """An OpenAPI body as Terraform sends it: JSON or YAML text."""
    try:
        document = yaml.safe_load(body)
    except yaml.YAMLError as error:
        raise OpenApiError(f"OpenAPI body is neither JSON nor YAML: {error}") from error
    if not isinstance(document, dict) or not str(document.get("openapi", "")).startswith("3"):
        raise OpenApiError("OpenAPI body is not an OpenAPI 3 document (no 'openapi: 3.x' field)")
    return document


def extract(document: Mapping[str, Any]) -> OpenApiExtras:
    components = document.get("components") or {}
    schemas: dict[str, Any] = dict(components.get("schemas") or {})
    models = dict(schemas)
    methods: dict[tuple[str, str], MethodExtras] = {}
    for path, path_item in (document.get("paths") or {}).items():
        shared_parameters = path_item.get("parameters") or []
        for key, operation in path_item.items():
            method = _method_name(key)
            if method is None or not isinstance(operation, dict):
                continue
            parameters = [*shared_parameters, *(operation.get("parameters") or [])]
            request_models = _request_models(operation, components, models, f"{method}{path}")
            methods[(path, method)] = MethodExtras(
                request_parameters=_request_parameters(parameters, components),
                request_models=request_models,
                validator_name=operation.get("x-amazon-apigateway-request-validator"),
                api_key_required=_requires_api_key(operation, document, components),
            )
    validators = {
        name: RequestValidator(
            name=name,
            validate_body=bool(spec.get("validateRequestBody")),
            validate_parameters=bool(spec.get("validateRequestParameters")),
        )
        for name, spec in (document.get("x-amazon-apigateway-request-validators") or {}).items()
    }
    return OpenApiExtras(
        methods=methods,
        validators=validators,
        default_validator=document.get("x-amazon-apigateway-request-validator"),
        models=models,
        gateway_responses=_gateway_responses(document.get("x-amazon-apigateway-gateway-responses") or {}),
        binary_media_types=tuple(document.get("x-amazon-apigateway-binary-media-types") or ()),
    )


def _method_name(key: str) -> str | None:
    if key == ANY_EXTENSION:
        return ANY_METHOD
    return key.upper() if key in HTTP_METHODS else None


def _resolve(node: Any, components: Mapping[str, Any]) -> Any:
    """Follow a local ``#/components/<kind>/<name>`` reference (one level, as parameters use)."""
    if isinstance(node, dict) and isinstance(node.get("$ref"), str):
        parts = node["$ref"].removeprefix("#/components/").split("/")
        if len(parts) == 2:
            return (components.get(parts[0]) or {}).get(parts[1], {})
    return node


def _request_parameters(parameters: list[Any], components: Mapping[str, Any]) -> dict[str, bool]:
    result: dict[str, bool] = {}
    for raw in parameters:
        parameter = _resolve(raw, components)
        location = _PARAMETER_LOCATIONS.get(parameter.get("in", ""))
        if location and parameter.get("name"):
            required = bool(parameter.get("required")) or location == "path"
            result[f"method.request.{location}.{parameter['name']}"] = required
    return result


def _request_models(
    operation: Mapping[str, Any], components: Mapping[str, Any], models: dict[str, Any], inline_name: str
) -> dict[str, str]:
    body = _resolve(operation.get("requestBody") or {}, components)
    result: dict[str, str] = {}
    for content_type, media in (body.get("content") or {}).items():
        schema = (media or {}).get("schema")
        if not isinstance(schema, dict):
            continue
        ref = schema.get("$ref")
        if isinstance(ref, str) and ref.startswith(_SCHEMA_REF_PREFIX):
            result[content_type] = ref.removeprefix(_SCHEMA_REF_PREFIX)
        else:
            # AWS turns an inline schema into a generated model; so do we, under a stable name.
            name = f"{inline_name}:{content_type}"
            models[name] = schema
            result[content_type] = name
    return result


def _requires_api_key(
    operation: Mapping[str, Any], document: Mapping[str, Any], components: Mapping[str, Any]
) -> bool:
    schemes = components.get("securitySchemes") or {}
    api_key_schemes = {
        name
        for name, scheme in schemes.items()
        if scheme.get("type") == "apiKey" and scheme.get("name", "").lower() == "x-api-key"
    }
    security = operation.get("security", document.get("security")) or []
    return any(name in api_key_schemes for requirement in security for name in requirement)


def _gateway_responses(spec: Mapping[str, Any]) -> dict[str, GatewayResponse]:
    responses = {}
    for response_type, item in spec.items():
        status = item.get("statusCode")
        responses[response_type] = GatewayResponse(
            response_type=response_type,
            status_code=int(status) if status is not None else None,
            response_parameters=dict(item.get("responseParameters") or {}),
            response_templates=dict(item.get("responseTemplates") or {}),
        )
    return responses

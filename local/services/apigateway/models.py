"""The deployed REST APIs as the data plane needs them: immutable, built once per (re)load.

Pure state, no I/O: ``loader`` fills it from the control plane (and the OpenAPI body where moto
drops parts of it), ``routing`` compiles it into lookup tables, the server only reads it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

DEFAULT_TIMEOUT_MS = 29_000  # API Gateway's default (and, for REST, usual maximum) integration timeout
ANY_METHOD = "ANY"

EMPTY: Mapping[str, Any] = MappingProxyType({})

# arn:aws:apigateway:<region>:lambda:path/2015-03-31/functions/<function arn>/invocations
_LAMBDA_URI = re.compile(
    r"^arn:[^:]+:apigateway:[^:]*:lambda:path/[^/]+/functions/(?P<function>.+)/invocations$"
)
# arn:aws:lambda:<region>:<account>:function:<name>[:<qualifier>]
_FUNCTION_ARN = re.compile(
    r"^arn:[^:]+:lambda:[^:]*:[^:]*:function:(?P<name>[^:]+)(?::(?P<qualifier>[^:]+))?$"
)


@dataclass(frozen=True)
class LambdaTarget:
    """The function an AWS_PROXY integration invokes, as named by its invoke URI."""

    function_name: str
    qualifier: str | None = None

    @classmethod
    def from_integration_uri(cls, uri: str) -> LambdaTarget:
        match = _LAMBDA_URI.match(uri)
        if not match:
            raise ValueError(f"not a Lambda invoke URI: {uri!r}")
        function = match["function"]
        arn = _FUNCTION_ARN.match(function)
        if arn:
            return cls(arn["name"], arn["qualifier"])
        # A bare name (or name:qualifier) also resolves on AWS.
        name, _, qualifier = function.partition(":")
        return cls(name, qualifier or None)


@dataclass(frozen=True)
class IntegrationResponse:
    status_code: str
    selection_pattern: str = ""
    response_parameters: Mapping[str, str] = EMPTY
    response_templates: Mapping[str, str] = EMPTY


@dataclass(frozen=True)
class Integration:
    type: str  # AWS_PROXY | HTTP_PROXY | MOCK | HTTP | AWS (upper case)
    uri: str = ""
    http_method: str | None = None
    timeout_ms: int = DEFAULT_TIMEOUT_MS
    request_parameters: Mapping[str, str] = EMPTY
    request_templates: Mapping[str, str] = EMPTY
    responses: tuple[IntegrationResponse, ...] = ()


@dataclass(frozen=True)
class RequestValidator:
    name: str
    validate_body: bool
    validate_parameters: bool


@dataclass(frozen=True)
class Method:
    http_method: str  # GET, POST, …, or ANY
    authorization_type: str = "NONE"
    api_key_required: bool = False
    # "method.request.querystring.limit" -> required?
    request_parameters: Mapping[str, bool] = EMPTY
    # content type -> model name
    request_models: Mapping[str, str] = EMPTY
    validator: RequestValidator | None = None
    integration: Integration | None = None


@dataclass(frozen=True)
class Resource:
    id: str
    path: str  # /v1/postcards/{id}
    methods: Mapping[str, Method] = EMPTY


@dataclass(frozen=True)
class GatewayResponse:
    """A customised gateway response (``x-amazon-apigateway-gateway-responses`` or PutGatewayResponse)."""

    response_type: str
    status_code: int | None = None
    response_parameters: Mapping[str, str] = EMPTY
    response_templates: Mapping[str, str] = EMPTY


@dataclass(frozen=True)
class Throttle:
    """Token bucket limits: ``rate`` requests/s refilled, ``burst`` bucket size; negative = off."""

    rate: float
    burst: int


@dataclass(frozen=True)
class AccessLogSettings:
    log_group: str
    format: str


@dataclass(frozen=True)
class Stage:
    name: str
    deployment_id: str = ""
    variables: Mapping[str, str] = EMPTY
    tracing_enabled: bool = False
    access_log: AccessLogSettings | None = None
    # "*/*" (every method) or "/v1/postcards/POST" -> limits, from the stage's method settings
    throttling: Mapping[str, Throttle] = EMPTY


@dataclass(frozen=True)
class RestApi:
    id: str
    name: str
    resources: tuple[Resource, ...]
    stages: Mapping[str, Stage] = EMPTY
    binary_media_types: tuple[str, ...] = ()
    # model name -> JSON schema (draft 4), with "$ref"s resolvable by ``validation``
    models: Mapping[str, Any] = EMPTY
    gateway_responses: Mapping[str, GatewayResponse] = EMPTY
    api_key_values: frozenset[str] = frozenset()
    # where each kind of information came from ("control plane" or "OpenAPI body (…)")
    sources: Mapping[str, str] = EMPTY


@dataclass(frozen=True)
class BasePathMapping:
    domain_name: str  # api.postcards.localhost
    base_path: str  # "" for "(none)"
    rest_api_id: str
    stage: str


@dataclass(frozen=True)
class CustomDomain:
    """A custom domain name as its HTTPS side needs it: which certificate, which TLS floor."""

    name: str  # api.postcards.localhost
    certificate_arn: str | None  # the regional (or edge) ACM certificate
    security_policy: str | None  # TLS_1_2, TLS_1_0, ...


@dataclass(frozen=True)
class GatewayState:
    """Everything one data-plane snapshot serves."""

    account_id: str
    region: str
    apis: Mapping[str, RestApi] = field(default_factory=dict)
    base_path_mappings: tuple[BasePathMapping, ...] = ()
    custom_domains: tuple[CustomDomain, ...] = ()

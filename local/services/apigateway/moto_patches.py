"""Make moto's API Gateway keep what an OpenAPI import keeps on AWS.

moto 5.2's PutRestApi / ImportRestApi (what Terraform's ``aws_api_gateway_rest_api.body`` calls):

- fails with a 500 (TypeError) on an ``x-amazon-apigateway-integration`` without ``uri`` or
  ``httpMethod``, which every MOCK integration (CORS preflight) legitimately omits;
- stores ``x-amazon-apigateway-any-method`` as a method named ``X-AMAZON-APIGATEWAY-ANY-METHOD``
  instead of ``ANY``;
- drops request validators, models, method request parameters and models, gateway responses and
  binary media types;
- drops CreateRestApi's ``binaryMediaTypes`` and mangles UpdateRestApi's ``add``/``remove`` of
  ``/binaryMediaTypes/<type>`` (the type is in the path, ``~1`` for ``/``; moto reads the value).

``install()`` (called in the control plane's process, before it serves) fixes the first two and
stores the rest through moto's own backend calls, so GetRequestValidators, GetModels, GetMethod,
GetGatewayResponses and GetRestApi answer as on AWS — for the local gateway and for ``aws apigateway``
alike. Without it, the gateway falls back to the body in the Terraform state (see ``loader``).

It also refuses, as AWS does, an UpdateStage that turns on access logging (``/accessLogSettings/...``)
or execution logging (a method setting's ``logging/loglevel`` other than OFF, or ``logging/dataTrace``
true) while the Region's account settings name no CloudWatch role (UpdateAccount's
``/cloudwatchRoleArn``): BadRequestException, "CloudWatch Logs role ARN must be set in account
settings to enable logging"; moto accepts it, so a stack that would be left tainted on AWS applied.
https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-logging.html ("Permissions for
CloudWatch logging"); reports: https://github.com/anomalyco/sst/issues/1556,
https://github.com/aws-solutions/virtual-waiting-room-on-aws/issues/74

And UpdateAccount's ``replace`` of ``/cloudwatchRoleArn`` without a value (how a role is cleared, as
``aws_api_gateway_account``'s ``reset_on_delete`` does on destroy) clears the role; moto reads the
missing value and fails with a 500.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from local.services.apigateway.openapi import ANY_EXTENSION, HTTP_METHODS, OpenApiError, extract

log = logging.getLogger(__name__)

_installed = False


def install() -> None:
    global _installed  # noqa: PLW0603 - patch once per process
    if _installed:
        return
    from moto.apigateway.models import APIGatewayBackend

    original_build_args = APIGatewayBackend._build_integration_args
    original_put_rest_api = APIGatewayBackend.put_rest_api

    def build_integration_args(self: Any, integration: dict[str, Any]) -> dict[str, Any]:
        args = original_build_args(self, integration)
        args["uri"] = args.get("uri") or ""
        args["integration_method"] = args.get("integration_method") or ""
        return args

    def put_rest_api(
        self: Any, function_id: str, api_doc: dict[str, Any], fail_on_warnings: bool, mode: str = "merge"
    ) -> Any:
        api = original_put_rest_api(self, function_id, _operations_only(api_doc), fail_on_warnings, mode)
        try:
            _keep_extensions(self, api, api_doc, overwrite=mode == "overwrite")
        except OpenApiError as error:
            log.warning("API %s: OpenAPI extensions not kept: %s", function_id, error)
        return api

    APIGatewayBackend._build_integration_args = build_integration_args  # type: ignore[method-assign,assignment]
    APIGatewayBackend.put_rest_api = put_rest_api  # type: ignore[method-assign]
    _keep_binary_media_types()
    _logging_needs_the_account_role()
    _account_role_can_be_cleared()
    _installed = True


def _account_role_can_be_cleared() -> None:
    from moto.apigateway.models import Account

    original = Account.apply_patch_operations

    def apply_patch_operations(self: Any, patch_operations: list[dict[str, Any]]) -> Any:
        given = [
            {**op, "value": op.get("value") or None} if op.get("path") == "/cloudwatchRoleArn" else op
            for op in patch_operations
        ]
        return original(self, given)

    Account.apply_patch_operations = apply_patch_operations  # type: ignore[method-assign]


def enables_logging(operation: dict[str, Any]) -> bool:
    """Whether a stage patch operation turns CloudWatch logging on (access or execution logs)."""
    path, value = str(operation.get("path", "")), str(operation.get("value", ""))
    if operation.get("op") not in ("replace", "add"):
        return False
    if path == "/accessLogSettings" or path.startswith("/accessLogSettings/"):
        return bool(value)
    if path.endswith("/logging/loglevel"):
        return value.upper() != "OFF"
    if path.endswith("/logging/dataTrace"):
        return value.lower() == "true"
    return False


def _logging_needs_the_account_role() -> None:
    from moto.apigateway.exceptions import BadRequestException
    from moto.apigateway.models import APIGatewayBackend

    original_update_stage = APIGatewayBackend.update_stage

    def update_stage(self: Any, function_id: str, stage_name: str, patch_operations: Any) -> Any:
        if not self.account.cloudwatch_role_arn and any(enables_logging(op) for op in patch_operations or []):
            raise BadRequestException(
                "CloudWatch Logs role ARN must be set in account settings to enable logging"
            )
        return original_update_stage(self, function_id, stage_name, patch_operations)

    APIGatewayBackend.update_stage = update_stage  # type: ignore[method-assign]


def _keep_binary_media_types() -> None:
    from moto.apigateway.models import RestAPI
    from moto.apigateway.responses import APIGatewayResponse

    original_create = APIGatewayResponse.create_rest_api
    original_patch = RestAPI.apply_patch_operations

    def create_rest_api(self: Any) -> Any:
        status, headers, body = original_create(self)
        types = self._get_param("binaryMediaTypes")
        if status == 200 and types:
            api = self.backend.get_rest_api(json.loads(body)["id"])
            api.binaryMediaTypes = list(types)
            body = json.dumps(api.to_dict())
        return status, headers, body

    def apply_patch_operations(self: Any, patch_operations: list[dict[str, Any]]) -> None:
        rest = []
        for operation in patch_operations:
            path = operation.get("path", "")
            if operation.get("op") in ("add", "remove") and path.startswith("/binaryMediaTypes/"):
                media_type = path.removeprefix("/binaryMediaTypes/").replace("~1", "/").replace("~0", "~")
                if operation["op"] == "add" and media_type not in self.binaryMediaTypes:
                    self.binaryMediaTypes.append(media_type)
                elif operation["op"] == "remove" and media_type in self.binaryMediaTypes:
                    self.binaryMediaTypes.remove(media_type)
            else:
                rest.append(operation)
        original_patch(self, rest)

    APIGatewayResponse.create_rest_api = create_rest_api  # type: ignore[method-assign]
    RestAPI.apply_patch_operations = apply_patch_operations  # type: ignore[method-assign]


def _operations_only(api_doc: dict[str, Any]) -> dict[str, Any]:
    """moto takes every key of a path item for a method (it chokes on ``parameters`` or
    ``summary``) and upper-cases it into the method name: keep the operations, ANY named as on AWS."""
    paths = {}
    for path, item in (api_doc.get("paths") or {}).items():
        paths[path] = {
            ("ANY" if key == ANY_EXTENSION else key): operation
            for key, operation in (item or {}).items()
            if key in HTTP_METHODS or key == ANY_EXTENSION
        }
    return {**api_doc, "paths": paths}


def _keep_extensions(backend: Any, api: Any, api_doc: dict[str, Any], *, overwrite: bool) -> None:
    extras = extract(api_doc)
    if overwrite:
        api.models.clear()
        api.request_validators.clear()
        api.gateway_responses.clear()
    for name, schema in extras.models.items():
        backend.create_model(api.id, name, "application/json", "", json.dumps(schema))
    validator_ids = {
        name: api.create_request_validator(
            name=name,
            validateRequestBody=validator.validate_body,
            validateRequestParameters=validator.validate_parameters,
        ).id
        for name, validator in extras.validators.items()
    }
    resources_by_path = {resource.get_path(): resource for resource in api.resources.values()}
    for (path, method_name), method_extras in extras.methods.items():
        resource = resources_by_path.get(path)
        method = resource.resource_methods.get(method_name) if resource else None
        if method is None:
            continue
        method.authorization_type = method.authorization_type or "NONE"
        method.request_parameters = dict(method_extras.request_parameters) or None
        method.request_models = dict(method_extras.request_models) or None
        method.api_key_required = method_extras.api_key_required
        validator_name = method_extras.validator_name or extras.default_validator
        method.request_validator_id = validator_ids.get(validator_name) if validator_name else None
    for response_type, response in extras.gateway_responses.items():
        api.put_gateway_response(
            response_type=response_type,
            status_code=str(response.status_code) if response.status_code else None,
            response_parameters=dict(response.response_parameters),
            response_templates=dict(response.response_templates),
        )
    if extras.binary_media_types:
        api.binaryMediaTypes = list(extras.binary_media_types)

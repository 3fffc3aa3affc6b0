"""API Gateway in the control plane refuses stage logging (access logs, execution logs) while the
account settings name no CloudWatch role, with AWS's code and message, and accepts it once they do."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.local.controlplane_support import ControlPlane, running_controlplane

MESSAGE = "CloudWatch Logs role ARN must be set in account settings to enable logging"
ACCESS_LOGS = [
    {
        "op": "replace",
        "path": "/accessLogSettings/destinationArn",
        "value": "arn:aws:logs:us-east-1:123456789012:log-group:access",
    },
    {"op": "replace", "path": "/accessLogSettings/format", "value": "$context.requestId"},
]
EXECUTION_LOGS = [{"op": "replace", "path": "/*/*/logging/loglevel", "value": "ERROR"}]
DATA_TRACE = [{"op": "replace", "path": "/*/*/logging/dataTrace", "value": "true"}]


@pytest.fixture(scope="module")
def plane() -> Iterator[ControlPlane]:
    with running_controlplane() as running:
        yield running


def _stage(plane: ControlPlane, name: str) -> tuple[Any, str]:
    apigateway = plane.client("apigateway")
    api = apigateway.create_rest_api(name=name)["id"]
    root = apigateway.get_resources(restApiId=api)["items"][0]["id"]
    apigateway.put_method(restApiId=api, resourceId=root, httpMethod="GET", authorizationType="NONE")
    apigateway.put_integration(restApiId=api, resourceId=root, httpMethod="GET", type="MOCK")
    deployment = apigateway.create_deployment(restApiId=api)["id"]
    apigateway.create_stage(restApiId=api, stageName="v1", deploymentId=deployment)
    return apigateway, api


@pytest.mark.parametrize(
    "operations", [ACCESS_LOGS, EXECUTION_LOGS, DATA_TRACE], ids=["access", "execution", "data-trace"]
)
def test_logging_without_the_account_role_is_refused(
    plane: ControlPlane, operations: list[dict[str, str]]
) -> None:
    # Given a stage in a Region whose account settings name no CloudWatch role (a fresh account)
    apigateway, api = _stage(plane, "no-role")
    assert not apigateway.get_account().get("cloudwatchRoleArn")

    # When logging is turned on for the stage
    with pytest.raises(ClientError) as raised:
        apigateway.update_stage(restApiId=api, stageName="v1", patchOperations=operations)

    # Then API Gateway refuses with AWS's code and message, and the stage is unchanged
    error = raised.value.response
    assert (
        error["ResponseMetadata"]["HTTPStatusCode"],
        error["Error"]["Code"],
        error["Error"]["Message"],
    ) == (
        400,
        "BadRequestException",
        MESSAGE,
    )
    stage = apigateway.get_stage(restApiId=api, stageName="v1")
    assert not stage.get("accessLogSettings")
    assert not stage.get("methodSettings")


def test_logging_off_needs_no_role(plane: ControlPlane) -> None:
    # Given the same account without a role
    apigateway, api = _stage(plane, "off")

    # When execution logging is set to OFF and throttling changed, then nothing is refused
    apigateway.update_stage(
        restApiId=api,
        stageName="v1",
        patchOperations=[
            {"op": "replace", "path": "/*/*/logging/loglevel", "value": "OFF"},
            {"op": "replace", "path": "/*/*/throttling/rateLimit", "value": "50"},
        ],
    )
    assert (
        apigateway.get_stage(restApiId=api, stageName="v1")["methodSettings"]["*/*"]["loggingLevel"] == "OFF"
    )


def test_logging_with_the_account_role_is_accepted(plane: ControlPlane) -> None:
    # Given the account settings name a CloudWatch role (what aws_api_gateway_account does)
    apigateway, api = _stage(plane, "with-role")
    role = "arn:aws:iam::123456789012:role/api-gateway-cloudwatch"
    apigateway.update_account(
        patchOperations=[{"op": "replace", "path": "/cloudwatchRoleArn", "value": role}]
    )

    # When access and execution logging are turned on
    try:
        apigateway.update_stage(restApiId=api, stageName="v1", patchOperations=ACCESS_LOGS + EXECUTION_LOGS)
    finally:  # the other tests need an account without the role: cleared as reset_on_delete does
        apigateway.update_account(patchOperations=[{"op": "replace", "path": "/cloudwatchRoleArn"}])

    # Then both are kept
    stage = apigateway.get_stage(restApiId=api, stageName="v1")
    assert stage["accessLogSettings"]["destinationArn"].endswith(":log-group:access")
    assert stage["methodSettings"]["*/*"]["loggingLevel"] == "ERROR"
    # and a replace without a value (aws_api_gateway_account's reset_on_delete) cleared the role
    assert not apigateway.get_account().get("cloudwatchRoleArn")

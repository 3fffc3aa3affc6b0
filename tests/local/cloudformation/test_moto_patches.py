"""``AWS::FIS::ExperimentTemplate`` in moto's CloudFormation (``local.services.cloudformation.moto_patches``):
the stack terraform/modules/chaos declares makes templates in moto's FIS, Ref gives their ids, and
the stack survives the control plane's snapshot."""

from __future__ import annotations

import io
import json
import pickle
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from local.controlplane.snapshots import _StatePickler
from local.services.cloudformation import moto_patches

FUNCTION = "arn:aws:lambda:us-east-1:123456789012:function:postcards"


def _template(description: str) -> str:
    properties = {
        "Description": description,
        "RoleArn": "arn:aws:iam::123456789012:role/fis",
        "StopConditions": [
            {"Source": "aws:cloudwatch:alarm", "Value": "arn:aws:cloudwatch:us-east-1:1:alarm:x"}
        ],
        "Tags": {"Name": "add-delay"},
        "Targets": {
            "ApiFunction": {
                "ResourceType": "aws:lambda:function",
                "ResourceArns": [FUNCTION],
                "SelectionMode": "ALL",
            }
        },
        "Actions": {
            "AddDelay": {
                "ActionId": "aws:lambda:invocation-add-delay",
                "Parameters": {
                    "duration": "PT1M",
                    "invocationPercentage": "25",
                    "startupDelayMilliseconds": "900",
                },
                "Targets": {"Functions": "ApiFunction"},
            }
        },
    }
    return json.dumps(
        {
            "Resources": {"AddDelay": {"Type": "AWS::FIS::ExperimentTemplate", "Properties": properties}},
            "Outputs": {"AddDelayTemplateId": {"Value": {"Ref": "AddDelay"}}},
        }
    )


@pytest.fixture
def clients() -> Iterator[tuple[Any, Any]]:
    moto_patches.install()
    with mock_aws():
        options = {"region_name": "us-east-1", "aws_access_key_id": "t", "aws_secret_access_key": "t"}
        yield boto3.client("cloudformation", **options), boto3.client("fis", **options)


def _output(cloudformation: Any) -> str:
    outputs = cloudformation.describe_stacks(StackName="chaos")["Stacks"][0]["Outputs"]
    return str(outputs[0]["OutputValue"])


def test_a_stack_makes_the_template_in_fis_with_its_fields(clients: tuple[Any, Any]) -> None:
    cloudformation, fis = clients

    # When the stack is created
    cloudformation.create_stack(StackName="chaos", TemplateBody=_template("delay"))

    # Then Ref is the id of a template FIS lists, in FIS's API shape, the author's keys kept
    template_id = _output(cloudformation)
    assert [t["id"] for t in fis.list_experiment_templates()["experimentTemplates"]] == [template_id]
    template = fis.get_experiment_template(id=template_id)["experimentTemplate"]
    assert template["description"] == "delay"
    assert template["targets"]["ApiFunction"] == {
        "resourceType": "aws:lambda:function",
        "resourceArns": [FUNCTION],
        "selectionMode": "ALL",
    }
    action = template["actions"]["AddDelay"]
    assert action["actionId"] == "aws:lambda:invocation-add-delay"
    assert action["parameters"]["startupDelayMilliseconds"] == "900"
    assert action["targets"] == {"Functions": "ApiFunction"}
    assert template["stopConditions"][0]["source"] == "aws:cloudwatch:alarm"
    assert template["tags"] == {"Name": "add-delay"}


def test_an_update_replaces_the_template_and_a_delete_removes_it(clients: tuple[Any, Any]) -> None:
    cloudformation, fis = clients
    cloudformation.create_stack(StackName="chaos", TemplateBody=_template("delay"))
    first = _output(cloudformation)

    cloudformation.update_stack(StackName="chaos", TemplateBody=_template("longer delay"))
    second = _output(cloudformation)
    listed = fis.list_experiment_templates()["experimentTemplates"]
    assert [(t["id"], t["description"]) for t in listed] == [(second, "longer delay")]
    assert second != first

    cloudformation.delete_stack(StackName="chaos")
    assert fis.list_experiment_templates()["experimentTemplates"] == []


def test_the_stack_and_template_survive_the_snapshot_pickler(clients: tuple[Any, Any]) -> None:
    from moto.cloudformation.models import cloudformation_backends

    cloudformation, _ = clients
    cloudformation.create_stack(StackName="chaos", TemplateBody=_template("delay"))
    backend = cloudformation_backends["123456789012"]["us-east-1"]
    buffer = io.BytesIO()

    _StatePickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(
        dict(cloudformation_backends["123456789012"])
    )

    restored = pickle.loads(buffer.getvalue())["us-east-1"]
    (stack,) = restored.stacks.values()
    (original,) = backend.stacks.values()
    assert stack.resource_map["AddDelay"].physical_resource_id == original.resource_map["AddDelay"].id

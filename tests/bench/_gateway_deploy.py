"""What ``local_gateway`` deploys on its local cloud, through the edge, as Terraform would make it.

- the trivial handler twice: untraced (stage tracing off, PassThrough) and traced as the product is
  deployed (stage ``xray_tracing_enabled``, the function's ``tracing_config`` Active, and the sampling
  rule terraform/modules/observability creates: 1 request a second, then 10 %; its ``url_path`` is
  ``/v1/*``, the bench's stages are served by path, so here the rule matches every path);
- the postcards function as build.sh packs it (zip + layer), its environment as Terraform sets it,
  behind ``GET /v1/instance``: as deployed, and with tracing off (stage, function and Powertools'
  Tracer) to show what tracing costs it.
"""

from __future__ import annotations

import json
from typing import Any

import requests

from tests.bench import _coldstart_scenarios as scenarios
from tests.bench import _results, coldstart
from tests.local.cloud_support import RunningCloud, zip_of
from tests.unit.stack import Stack

HANDLER = """
import json


def handler(event, context):
    body = json.dumps({"ok": True, "path": event["path"]})
    return {"statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": body}
"""
# terraform/modules/observability/main.tf, aws_xray_sampling_rule.api (xray_sampling_rate = 0.1).
SAMPLING_RULE = {
    "RuleName": "postcards-api",
    "ResourceARN": "*",
    "Priority": 1000,
    "FixedRate": 0.1,
    "ReservoirSize": 1,
    "ServiceName": "*",
    "ServiceType": "*",
    "Host": "*",
    "HTTPMethod": "*",
    "URLPath": "*",
    "Version": 1,
}


def sampling_rule(cloud: RunningCloud) -> None:
    cloud.client("xray").create_sampling_rule(SamplingRule=SAMPLING_RULE)


def trivial(cloud: RunningCloud, *, traced: bool) -> str:
    """The handler behind ``GET /<stage>/hello``; its URL."""
    name = "hello-traced" if traced else "hello"
    function = cloud.client("lambda").create_function(
        FunctionName=name,
        Runtime="python3.13",
        Role=_role(cloud),
        Handler="handler.handler",
        Code={"ZipFile": zip_of({"handler.py": HANDLER})},
        MemorySize=1024,
        TracingConfig={"Mode": "Active" if traced else "PassThrough"},
    )
    stage = "traced" if traced else "dev"
    return _proxy_api(cloud, f"bench-{stage}", ["hello"], function["FunctionArn"], stage, traced)


def postcards(cloud: RunningCloud, *, traced: bool) -> str:
    """The postcards function behind ``GET /<stage>/v1/instance``; its URL."""
    arch = coldstart._host_arch()
    coldstart._build(arch)
    artifacts = _results.REPO / "build" / arch
    lambda_client = cloud.client("lambda")
    layer = lambda_client.publish_layer_version(
        LayerName="postcards-deps",
        Content={"ZipFile": (artifacts / "layer.zip").read_bytes()},
        CompatibleRuntimes=["python3.13"],
        CompatibleArchitectures=[arch],
    )
    variables = scenarios.environment("postcards", Stack())
    if not traced:
        variables["POWERTOOLS_TRACE_DISABLED"] = "true"
    name = "postcards" if traced else "postcards-untraced"
    function = lambda_client.create_function(
        FunctionName=name,
        Runtime="python3.13",
        Role=_role(cloud),
        Handler="postcards.handler.lambda_handler",
        Code={"ZipFile": (artifacts / "postcards.zip").read_bytes()},
        Layers=[layer["LayerVersionArn"]],
        Architectures=[arch],
        MemorySize=scenarios.MEMORY_MB["postcards"],
        Environment={"Variables": variables},
        TracingConfig={"Mode": "Active" if traced else "PassThrough"},
    )
    stage = "live" if traced else "untraced"
    return _proxy_api(cloud, f"{name}-bench", ["v1", "instance"], function["FunctionArn"], stage, traced)


def _role(cloud: RunningCloud) -> str:
    iam = cloud.client("iam")
    try:
        return str(iam.get_role(RoleName="bench")["Role"]["Arn"])
    except iam.exceptions.NoSuchEntityException:
        arn = str(iam.create_role(RoleName="bench", AssumeRolePolicyDocument="{}")["Role"]["Arn"])
        # The local cloud evaluates the functions' AWS calls against their role: the bench's may do anything.
        anything = {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
        }
        iam.put_role_policy(
            RoleName="bench", PolicyName="bench-may-call-anything", PolicyDocument=json.dumps(anything)
        )
        return arn


def _proxy_api(
    cloud: RunningCloud, name: str, path: list[str], function_arn: str, stage: str, traced: bool
) -> str:
    """A REST API with ``GET /<path>`` proxied to the function, deployed to ``stage``; its URL (by
    path on the gateway's own host, so each API needs a stage name of its own)."""
    api = cloud.client("apigateway")
    rest_api = api.create_rest_api(name=name)["id"]
    parent = next(r["id"] for r in api.get_resources(restApiId=rest_api)["items"] if r["path"] == "/")
    for part in path:
        parent = api.create_resource(restApiId=rest_api, parentId=parent, pathPart=part)["id"]
    api.put_method(restApiId=rest_api, resourceId=parent, httpMethod="GET", authorizationType="NONE")
    api.put_integration(
        restApiId=rest_api,
        resourceId=parent,
        httpMethod="GET",
        type="AWS_PROXY",
        integrationHttpMethod="POST",
        uri=f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{function_arn}/invocations",
    )
    deployment: dict[str, Any] = {"restApiId": rest_api, "stageName": stage}
    if traced:
        deployment["tracingEnabled"] = True
    api.create_deployment(**deployment)
    gateway = cloud.endpoints["apigateway_url"]
    requests.post(f"{gateway}/_local/apigateway/reload", timeout=60).raise_for_status()
    return f"{gateway}/{stage}/{'/'.join(path)}"

"""When the control plane lacks what the OpenAPI body declared (an unpatched moto keeps no validators,
models or gateway responses), the gateway reads them from the body in the Terraform state."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from local.services.apigateway import start
from tests.local.gateway_support import (
    ACCOUNT,
    REGION,
    FakeInvoker,
    LoopThread,
    MotoServer,
    contract_gateway_response,
    echo_event,
    http,
    loop_thread,
    moto_server,
    render_openapi,
)


def _api_without_validation(moto: MotoServer) -> str:
    """POST /v1/postcards built call by call: the control plane knows no validator or model."""
    client = moto.client("apigateway")
    api = client.create_rest_api(name="postcards")
    parent = next(r["id"] for r in client.get_resources(restApiId=api["id"])["items"] if r["path"] == "/")
    for part in ("v1", "postcards"):
        parent = client.create_resource(restApiId=api["id"], parentId=parent, pathPart=part)["id"]
    client.put_method(restApiId=api["id"], resourceId=parent, httpMethod="POST", authorizationType="NONE")
    client.put_integration(
        restApiId=api["id"],
        resourceId=parent,
        httpMethod="POST",
        type="AWS_PROXY",
        integrationHttpMethod="POST",
        uri=(
            f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/"
            f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:postcards:live/invocations"
        ),
    )
    client.create_deployment(restApiId=api["id"], stageName="v1")
    return str(api["id"])


def _state_file(path: Path, api_id: str) -> Path:
    path.write_text(
        json.dumps(
            {
                "version": 4,
                "resources": [
                    {
                        "mode": "managed",
                        "type": "aws_api_gateway_rest_api",
                        "name": "this",
                        "module": "module.api",
                        "instances": [
                            {"attributes": {"id": api_id, "body": render_openapi("http://127.0.0.1:1")}}
                        ],
                    }
                ],
            }
        )
    )
    return path


@pytest.fixture(scope="module")
def moto() -> Iterator[MotoServer]:
    yield from moto_server()


@pytest.fixture(scope="module")
def loop() -> Iterator[LoopThread]:
    yield from loop_thread()


def _post_invalid(
    loop: LoopThread, moto: MotoServer, api_id: str, state: Path | None
) -> tuple[Any, FakeInvoker, Any]:
    invoker = FakeInvoker(echo_event)
    gateway = loop.run(start(invoker, moto.url, port=0, terraform_state=state))
    try:
        # Each test adds an API with a stage v1, so address this one by its execute-api host.
        reply = http(
            loop,
            "POST",
            f"{gateway.url}/v1/v1/postcards",
            json_body={"author": ""},
            headers={"Host": f"{api_id}.execute-api.localhost"},
        )
        described = http(loop, "GET", f"{gateway.url}/_local/apigateway").json()
    finally:
        loop.run(gateway.stop())
    return reply, invoker, described


def test_validators_models_and_gateway_responses_come_from_the_state_body(
    loop: LoopThread, moto: MotoServer, tmp_path: Path
) -> None:
    api_id = _api_without_validation(moto)

    reply, invoker, described = _post_invalid(
        loop, moto, api_id, _state_file(tmp_path / "terraform.tfstate", api_id)
    )

    assert (reply.status, reply.json()) == contract_gateway_response(
        "BAD_REQUEST_BODY", reply, "Invalid request body"
    )
    assert invoker.calls == []
    sources = next(api["sources"] for api in described["apis"] if api["id"] == api_id)
    expected = "OpenAPI body in Terraform state (module.api.aws_api_gateway_rest_api.this)"
    assert sources["request validators"] == expected
    assert sources["method request models"] == expected
    assert sources["gateway responses"] == expected


def test_without_the_state_only_what_the_control_plane_holds_applies(
    loop: LoopThread, moto: MotoServer
) -> None:
    api_id = _api_without_validation(moto)

    reply, invoker, _ = _post_invalid(loop, moto, api_id, None)

    assert reply.status == 200
    assert len(invoker.calls) == 1


def test_a_missing_state_file_is_reported_not_fatal(
    loop: LoopThread, moto: MotoServer, tmp_path: Path
) -> None:
    api_id = _api_without_validation(moto)

    reply, invoker, _ = _post_invalid(loop, moto, api_id, tmp_path / "absent.tfstate")

    assert reply.status == 200
    assert len(invoker.calls) == 1

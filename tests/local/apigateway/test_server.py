"""The API Gateway data plane over real HTTP on loopback.

The control plane is moto (in this process, on a free port) holding the project's OpenAPI contract
as Terraform imports it, plus a second API built call by call for the error paths; functions are
fake Invokers, and the HTTP_PROXY upstream is an echo server.
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from local.invoke import InvokeError, InvokeResult
from local.services.apigateway import ApiGateway, start
from tests.local.gateway_support import (
    ACCOUNT,
    REGION,
    SITE_ORIGIN,
    FakeInvoker,
    LoopThread,
    MotoServer,
    contract_gateway_response,
    echo_event,
    http,
    loop_thread,
    moto_server,
    proxy_result,
    render_openapi,
    start_echo_server,
)

PNG = b"\x89PNG\r\n\x1a\nfake"
ACCESS_LOG_GROUP_ARN = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/apigateway/postcards-access"
ACCESS_LOG_FORMAT = json.dumps(
    {
        "requestId": "$context.requestId",
        "httpMethod": "$context.httpMethod",
        "resourcePath": "$context.resourcePath",
        "path": "$context.path",
        "status": "$context.status",
        "errorType": "$context.error.responseType",
        "integrationLatency": "$context.integrationLatency",
    }
)


# Every edge-case route shares one integration timeout: long enough that a busy 2-core machine never
# times out the quick routes, and the slow function outlasts it by a wide margin (derived, not tuned).
INTEGRATION_TIMEOUT_MS = 1_500
SLOW_FUNCTION_S = 3 * INTEGRATION_TIMEOUT_MS / 1000


def _edge_function(function: str, event: dict[str, Any], qualifier: str | None) -> Any:
    async def slow() -> InvokeResult:
        await asyncio.sleep(SLOW_FUNCTION_S)
        return proxy_result(200)

    match function:
        case "slow":
            return slow()
        case "broken":
            return InvokeResult(200, b'{"statusCode": 200, "body": {"not": "a string"}}')
        case "throttled":
            raise InvokeError(
                429,
                "TooManyRequestsException",
                "Rate Exceeded.",
                "ReservedFunctionConcurrentInvocationLimitExceeded",
            )
        case "crash":
            return InvokeResult(
                200, b'{"errorMessage": "boom", "errorType": "RuntimeError"}', function_error="Unhandled"
            )
        case "binary":
            return InvokeResult(
                200,
                json.dumps(
                    {
                        "statusCode": 200,
                        "headers": {"Content-Type": "image/png"},
                        "body": base64.b64encode(PNG).decode(),
                        "isBase64Encoded": True,
                    }
                ).encode(),
            )
        case _:
            return echo_event(function, event, qualifier)


@dataclass
class Deployed:
    gateway: ApiGateway
    invoker: FakeInvoker
    loop: LoopThread
    moto: MotoServer
    postcards_api: str
    edge_api: str
    echo_url: str
    access_lines: list[tuple[str, str, str]]

    def get(self, path: str, **kwargs: Any) -> Any:
        return http(self.loop, "GET", self.gateway.url + path, **kwargs)

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        return http(self.loop, method, self.gateway.url + path, **kwargs)


def _deploy_contract(moto: MotoServer, container_api_url: str) -> str:
    client = moto.client("apigateway")
    api = client.create_rest_api(name="postcards", endpointConfiguration={"types": ["REGIONAL"]})
    client.put_rest_api(
        restApiId=api["id"], mode="overwrite", body=render_openapi(container_api_url).encode()
    )
    client.create_deployment(restApiId=api["id"], stageName="v1")
    # Stage logging needs the account's CloudWatch role, which Terraform's aws_api_gateway_account
    # sets first (the control plane refuses the access log below without it, as AWS does).
    client.update_account(
        patchOperations=[
            {"op": "replace", "path": "/cloudwatchRoleArn", "value": f"arn:aws:iam::{ACCOUNT}:role/api-logs"}
        ]
    )
    # Terraform's aws_api_gateway_method_settings: a stage default, and one method held tight.
    client.update_stage(
        restApiId=api["id"],
        stageName="v1",
        patchOperations=[
            {"op": "replace", "path": "/*/*/throttling/rateLimit", "value": "1000"},
            {"op": "replace", "path": "/*/*/throttling/burstLimit", "value": "500"},
            {"op": "replace", "path": "/~1v1~1health/GET/throttling/rateLimit", "value": "0.01"},
            {"op": "replace", "path": "/~1v1~1health/GET/throttling/burstLimit", "value": "2"},
            {"op": "replace", "path": "/tracingEnabled", "value": "true"},
            {"op": "replace", "path": "/accessLogSettings/destinationArn", "value": ACCESS_LOG_GROUP_ARN},
            {"op": "replace", "path": "/accessLogSettings/format", "value": ACCESS_LOG_FORMAT},
        ],
    )
    client.create_domain_name(
        domainName="api.postcards.localhost",
        regionalCertificateArn=f"arn:aws:acm:{REGION}:{ACCOUNT}:certificate/local",
        endpointConfiguration={"types": ["REGIONAL"]},
        securityPolicy="TLS_1_2",
    )
    client.create_base_path_mapping(domainName="api.postcards.localhost", restApiId=api["id"], stage="v1")
    return str(api["id"])


def _deploy_edge_cases(moto: MotoServer) -> str:
    """An API built with individual calls (as non-OpenAPI Terraform would), one route per failure."""
    client = moto.client("apigateway")
    api = client.create_rest_api(name="edge-cases", binaryMediaTypes=["image/png"])
    root = next(r["id"] for r in client.get_resources(restApiId=api["id"])["items"] if r["path"] == "/")
    for function in ("slow", "broken", "throttled", "crash", "binary", "echo"):
        resource = client.create_resource(restApiId=api["id"], parentId=root, pathPart=function)
        client.put_method(
            restApiId=api["id"], resourceId=resource["id"], httpMethod="ANY", authorizationType="NONE"
        )
        client.put_integration(
            restApiId=api["id"],
            resourceId=resource["id"],
            httpMethod="ANY",
            type="AWS_PROXY",
            integrationHttpMethod="POST",
            uri=(
                f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/"
                f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{function}:${{stageVariables.alias}}/invocations"
            ),
            timeoutInMillis=INTEGRATION_TIMEOUT_MS,
        )
    _put_preflight(client, api["id"], root)
    client.create_deployment(restApiId=api["id"], stageName="test", variables={"alias": "blue"})
    return str(api["id"])


def _put_preflight(client: Any, api_id: str, root: str) -> None:
    """CORS the classic REST way: OPTIONS answered by a MOCK integration with static headers."""
    resource = client.create_resource(restApiId=api_id, parentId=root, pathPart="preflight")
    client.put_method(
        restApiId=api_id, resourceId=resource["id"], httpMethod="OPTIONS", authorizationType="NONE"
    )
    client.put_integration(
        restApiId=api_id,
        resourceId=resource["id"],
        httpMethod="OPTIONS",
        type="MOCK",
        requestTemplates={"application/json": '{"statusCode": 204}'},
    )
    headers = {
        "method.response.header.Access-Control-Allow-Origin": f"'{SITE_ORIGIN}'",
        "method.response.header.Access-Control-Allow-Methods": "'GET,POST,OPTIONS'",
        "method.response.header.Access-Control-Allow-Headers": "'Content-Type,Idempotency-Key'",
    }
    client.put_method_response(
        restApiId=api_id,
        resourceId=resource["id"],
        httpMethod="OPTIONS",
        statusCode="204",
        responseParameters=dict.fromkeys(headers, False),
    )
    client.put_integration_response(
        restApiId=api_id,
        resourceId=resource["id"],
        httpMethod="OPTIONS",
        statusCode="204",
        selectionPattern="",
        responseParameters=headers,
    )


def _collector(lines: list[tuple[str, str, str]]) -> Any:
    def write(group: str, stream: str, line: str) -> None:
        lines.append((group, stream, line))

    return write


@pytest.fixture(scope="module")
def deployed() -> Iterator[Deployed]:
    for moto in moto_server():
        for loop in loop_thread():
            echo_runner, echo_url = loop.run(start_echo_server())
            postcards_api = _deploy_contract(moto, echo_url)
            edge_api = _deploy_edge_cases(moto)
            invoker = FakeInvoker(_edge_function)
            lines: list[tuple[str, str, str]] = []
            gateway = loop.run(start(invoker, moto.url, port=0, access_log=_collector(lines)))
            try:
                yield Deployed(gateway, invoker, loop, moto, postcards_api, edge_api, echo_url, lines)
            finally:
                loop.run(gateway.stop())
                loop.run(echo_runner.cleanup())


@pytest.fixture
def calls(deployed: Deployed) -> list[Any]:
    deployed.invoker.calls.clear()
    return deployed.invoker.calls


# --- the proxy event and the response ---------------------------------------------------------


def test_a_get_reaches_the_live_alias_with_a_faithful_event(deployed: Deployed, calls: list[Any]) -> None:
    reply = deployed.get(
        "/v1/v1/postcards/0123456789abcdef0123456789abcdef?x=1&x=2",
        headers={"X-Tag": "t", "User-Agent": "tests/1"},
    )

    assert reply.status == 200
    function, qualifier, invocation_type, event = calls[-1]
    assert (function, qualifier, invocation_type) == ("postcards", "live", "RequestResponse")
    assert event["resource"] == "/v1/postcards/{id}"
    assert event["path"] == "/v1/postcards/0123456789abcdef0123456789abcdef"
    assert event["httpMethod"] == "GET"
    assert event["pathParameters"] == {"id": "0123456789abcdef0123456789abcdef"}
    assert event["queryStringParameters"] == {"x": "2"}
    assert event["multiValueQueryStringParameters"] == {"x": ["1", "2"]}
    assert event["headers"]["X-Tag"] == "t"
    assert event["headers"]["X-Forwarded-For"] == "127.0.0.1"
    assert event["stageVariables"] is None
    assert event["body"] is None
    context = event["requestContext"]
    assert context["stage"] == "v1"
    assert context["path"] == "/v1/v1/postcards/0123456789abcdef0123456789abcdef"
    assert context["apiId"] == deployed.postcards_api
    assert context["accountId"] == ACCOUNT
    assert context["identity"]["sourceIp"] == "127.0.0.1"
    assert context["identity"]["userAgent"] == "tests/1"
    # The ids the client sees are the ones the function saw.
    assert reply.headers["x-amzn-RequestId"] == context["requestId"]
    assert reply.headers["x-amz-apigw-id"] == context["extendedRequestId"]
    assert reply.headers["X-Amzn-Trace-Id"] == event["headers"]["X-Amzn-Trace-Id"]


def test_the_same_api_answers_by_execute_api_host_and_by_custom_domain(
    deployed: Deployed, calls: list[Any]
) -> None:
    by_host = deployed.get(
        "/v1/v1/health", headers={"Host": f"{deployed.postcards_api}.execute-api.localhost"}
    )
    domain_event_reply = deployed.get("/v1/instance", headers={"Host": "api.postcards.localhost:4580"})

    assert by_host.status == 200
    assert domain_event_reply.status == 200
    context = calls[-1][3]["requestContext"]
    assert context["domainName"] == "api.postcards.localhost"
    assert context["domainPrefix"] == "api"
    assert calls[-1][3]["path"] == "/v1/instance"


def test_a_post_body_passes_validation_and_reaches_the_function(deployed: Deployed, calls: list[Any]) -> None:
    reply = deployed.request(
        "POST",
        "/v1/v1/postcards",
        json_body={"author": "Ann", "message": "Hi"},
        headers={"Idempotency-Key": "k1"},
    )

    assert reply.status == 200
    event = calls[-1][3]
    assert json.loads(event["body"]) == {"author": "Ann", "message": "Hi"}
    assert event["isBase64Encoded"] is False
    assert event["headers"]["Idempotency-Key"] == "k1"


def test_a_body_the_model_rejects_never_reaches_the_function(deployed: Deployed, calls: list[Any]) -> None:
    reply = deployed.request("POST", "/v1/v1/postcards", json_body={"author": "", "surprise": True})

    assert (reply.status, reply.json()) == contract_gateway_response(
        "BAD_REQUEST_BODY", reply, "Invalid request body"
    )
    assert calls == []


def test_an_unknown_route_gets_the_contracts_not_found(deployed: Deployed, calls: list[Any]) -> None:
    reply = deployed.get("/v1/v2/nothing")

    expected = contract_gateway_response(
        "MISSING_AUTHENTICATION_TOKEN", reply, "Missing Authentication Token"
    )
    assert (reply.status, reply.json()) == expected
    assert reply.headers["x-amzn-ErrorType"] == "MissingAuthenticationTokenException"
    assert calls == []


def test_a_cors_preflight_is_answered_by_a_mock_integration(deployed: Deployed, calls: list[Any]) -> None:
    reply = deployed.request(
        "OPTIONS", "/test/preflight", headers={"Origin": SITE_ORIGIN, "Access-Control-Request-Method": "POST"}
    )

    assert reply.status == 204
    assert reply.headers["Access-Control-Allow-Origin"] == SITE_ORIGIN
    assert reply.headers["Access-Control-Allow-Methods"] == "GET,POST,OPTIONS"
    assert reply.headers["Access-Control-Allow-Headers"] == "Content-Type,Idempotency-Key"
    assert calls == []


def test_stage_throttling_answers_429_once_the_burst_is_spent(deployed: Deployed, calls: list[Any]) -> None:
    deployed.request("POST", "/_local/apigateway/reload")  # fresh buckets: earlier tests spent tokens
    calls.clear()

    statuses = [deployed.get("/v1/v1/health").status for _ in range(4)]

    assert statuses[:2] == [200, 200]
    assert statuses[2:] == [429, 429]
    assert len(calls) == 2
    throttled = deployed.get("/v1/v1/health")
    assert (throttled.status, throttled.json()) == contract_gateway_response(
        "THROTTLED", throttled, "Too Many Requests"
    )
    # Other methods keep the stage default and are not throttled.
    assert deployed.get("/v1/v1/instance").status == 200


def test_a_payload_over_10_mb_is_refused_with_413(deployed: Deployed, calls: list[Any]) -> None:
    reply = deployed.request(
        "POST",
        "/v1/v1/postcards",
        data=b"x" * (10 * 1024 * 1024 + 1),
        headers={"Content-Type": "application/json"},
    )

    assert reply.status == 413
    assert calls == []


# --- HTTP_PROXY to the container API ----------------------------------------------------------


def test_http_proxy_forwards_method_path_query_headers_and_body(deployed: Deployed) -> None:
    reply = deployed.request(
        "PUT",
        "/v1/legacy/stamps/night-train?country=AT&tag=a&tag=b",
        data=b'{"x": 1}',
        headers={
            "Content-Type": "application/json",
            "X-Custom": "yes",
            "Connection": "keep-alive",
            "X-Echo-Status": "202",
        },
    )

    assert reply.status == 202
    seen = reply.json()
    assert seen["method"] == "PUT"
    assert seen["path"] == "/stamps/night-train"
    assert seen["query"] == "country=AT&tag=a&tag=b"
    assert seen["body"] == '{"x": 1}'
    headers = {k.lower(): v for k, v in seen["headers"]}
    assert headers["x-custom"] == "yes"
    assert headers["content-type"] == "application/json"
    assert headers["x-forwarded-for"] == "127.0.0.1"
    assert headers["host"] == deployed.echo_url.removeprefix("http://")
    # The upstream's answer comes back with its headers, repeated ones included.
    assert reply.headers["X-Upstream"] == "echo"
    assert reply.headers.getall("Set-Cookie") == ["a=1", "b=2"]
    assert len(reply.headers.getall("Date")) == 1  # the upstream's, not doubled by the gateway
    assert "x-amzn-RequestId" in reply.headers


def test_http_proxy_keeps_percent_encoding_of_the_greedy_path(deployed: Deployed) -> None:
    reply = deployed.get("/v1/legacy/stamps/a%20b/c")

    assert reply.json()["path"] == "/stamps/a%20b/c"


# --- the error paths --------------------------------------------------------------------------


def test_integration_timeout_is_504_endpoint_request_timed_out(deployed: Deployed) -> None:
    reply = deployed.get("/test/slow")

    assert reply.status == 504
    assert reply.json() == {"message": "Endpoint request timed out"}


def test_a_malformed_proxy_response_is_502(deployed: Deployed) -> None:
    reply = deployed.get("/test/broken")

    assert reply.status == 502
    assert reply.json() == {"message": "Internal server error"}


def test_a_function_error_is_502(deployed: Deployed) -> None:
    reply = deployed.get("/test/crash")

    assert reply.status == 502
    assert reply.json() == {"message": "Internal server error"}


def test_lambda_throttling_is_500_as_api_gateway_maps_it(deployed: Deployed) -> None:
    reply = deployed.get("/test/throttled")

    assert reply.status == 500
    assert reply.json() == {"message": "Internal server error"}


def test_stage_variables_choose_the_alias_and_reach_the_event(deployed: Deployed, calls: list[Any]) -> None:
    reply = deployed.request("DELETE", "/test/echo")

    assert reply.status == 200
    function, qualifier, _, event = calls[-1]
    assert (function, qualifier) == ("echo", "blue")
    assert event["stageVariables"] == {"alias": "blue"}
    assert event["httpMethod"] == "DELETE"


def test_binary_bodies_in_and_out(deployed: Deployed, calls: list[Any]) -> None:
    sent = deployed.request("POST", "/test/echo", data=PNG, headers={"Content-Type": "image/png"})
    image = deployed.get("/test/binary", headers={"Accept": "image/png"})

    assert sent.status == 200
    event = calls[0][3]
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == PNG
    assert image.status == 200
    assert image.body == PNG
    assert image.headers["Content-Type"] == "image/png"


# --- what is served, and reloading it ---------------------------------------------------------


def test_admin_view_lists_apis_routes_and_sources(deployed: Deployed) -> None:
    described = deployed.get("/_local/apigateway").json()

    postcards = next(api for api in described["apis"] if api["id"] == deployed.postcards_api)
    assert "POST /v1/postcards" in postcards["routes"]
    assert "ANY /legacy/{proxy+}" in postcards["routes"]
    assert postcards["sources"] == {"resources, methods, integrations, stages": "control plane"}
    urls = [e.get("custom_domain_url") for e in described["endpoints"]]
    assert f"http://api.postcards.localhost:{deployed.gateway.port}" in urls


def test_reload_picks_up_a_new_stage(deployed: Deployed) -> None:
    client = deployed.moto.client("apigateway")
    client.create_deployment(restApiId=deployed.edge_api, stageName="canary", variables={"alias": "green"})
    assert deployed.get("/canary/echo").status == 403  # not served before the reload

    reloaded = deployed.request("POST", "/_local/apigateway/reload")

    assert reloaded.status == 200
    assert deployed.get("/canary/echo").json()["qualifier"] == "green"


def test_each_request_writes_an_access_log_line_in_the_stages_format(deployed: Deployed) -> None:
    deployed.access_lines.clear()

    ok = deployed.get("/v1/v1/postcards/0123456789abcdef0123456789abcdef")
    missing = deployed.get("/v1/v1/nothing")
    deployed.get("/test/echo")  # a stage without access logs writes nothing

    assert [(group, stream) for group, stream, _ in deployed.access_lines] == [
        ("/aws/apigateway/postcards-access", f"{deployed.postcards_api}_v1"),
    ] * 2
    first, second = (json.loads(line) for _, _, line in deployed.access_lines)
    assert first["requestId"] == ok.headers["x-amzn-RequestId"]
    assert (first["httpMethod"], first["resourcePath"], first["status"]) == (
        "GET",
        "/v1/postcards/{id}",
        "200",
    )
    assert first["path"] == "/v1/v1/postcards/0123456789abcdef0123456789abcdef"
    assert first["errorType"] == "-"
    assert first["integrationLatency"].isdigit()
    assert second["requestId"] == missing.headers["x-amzn-RequestId"]
    assert (second["status"], second["errorType"]) == (str(missing.status), "MISSING_AUTHENTICATION_TOKEN")

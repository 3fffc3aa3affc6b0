"""Which stage, resource and method a request reaches."""

from __future__ import annotations

import pytest

from local.services.apigateway.models import (
    BasePathMapping,
    GatewayState,
    Integration,
    LambdaTarget,
    Method,
    Resource,
    RestApi,
    Stage,
)
from local.services.apigateway.routing import RoutingTable

MOCK = Integration(type="MOCK")


def _resource(rid: str, path: str, *methods: str) -> Resource:
    return Resource(rid, path, {m: Method(m, integration=MOCK) for m in methods})


API = RestApi(
    id="abc123",
    name="postcards",
    resources=(
        _resource("r0", "/"),
        _resource("r1", "/v1"),
        _resource("r2", "/v1/postcards", "GET", "POST"),
        _resource("r3", "/v1/postcards/{id}", "GET"),
        _resource("r4", "/v1/postcards/latest", "GET"),
        _resource("r5", "/legacy"),
        _resource("r6", "/legacy/{proxy+}", "ANY"),
    ),
    stages={"v1": Stage("v1"), "dev": Stage("dev")},
)
OTHER = RestApi(
    id="zzz999", name="other", resources=(_resource("o1", "/", "GET"),), stages={"dev": Stage("dev")}
)
STATE = GatewayState(
    account_id="123456789012",
    region="us-east-1",
    apis={API.id: API, OTHER.id: OTHER},
    base_path_mappings=(
        BasePathMapping("api.postcards.localhost", "", API.id, "v1"),
        BasePathMapping("shared.localhost", "postcards", API.id, "v1"),
        BasePathMapping("shared.localhost", "", OTHER.id, "dev"),
    ),
)
TABLE = RoutingTable(STATE)


def _route(host: str, path: str, method: str = "GET") -> tuple[str, str, dict[str, str]] | None:
    target = TABLE.resolve(host, path)
    if target is None:
        return None
    match = target.routes.match(method, target.resource_path)
    if match is None:
        return None
    return target.routes.stage.name, match.resource.path, match.path_parameters


def test_a_literal_part_beats_a_parameter() -> None:
    assert _route("127.0.0.1:4580", "/v1/v1/postcards/latest") == ("v1", "/v1/postcards/latest", {})
    assert _route("127.0.0.1:4580", "/v1/v1/postcards/abc") == ("v1", "/v1/postcards/{id}", {"id": "abc"})


def test_path_parameters_are_decoded() -> None:
    assert _route("127.0.0.1", "/v1/v1/postcards/a%2Bb%20c") == ("v1", "/v1/postcards/{id}", {"id": "a+b c"})


def test_a_greedy_parameter_takes_the_rest_of_the_path_and_any_method() -> None:
    assert _route("127.0.0.1", "/v1/legacy/stamps/7/x", "DELETE") == (
        "v1",
        "/legacy/{proxy+}",
        {"proxy": "stamps/7/x"},
    )


def test_a_greedy_parameter_needs_one_segment() -> None:
    assert _route("127.0.0.1", "/v1/legacy") is None


def test_a_method_the_resource_lacks_does_not_match() -> None:
    assert _route("127.0.0.1", "/v1/v1/postcards/abc", "DELETE") is None


def test_a_trailing_slash_reaches_the_same_resource() -> None:
    assert _route("127.0.0.1", "/v1/v1/postcards/") == ("v1", "/v1/postcards", {})


def test_unknown_stage_or_path_does_not_match() -> None:
    assert _route("127.0.0.1", "/prod/v1/postcards") is None
    assert _route("127.0.0.1", "/v1/nothing/here") is None


def test_execute_api_host_names_the_api() -> None:
    target = TABLE.resolve("zzz999.execute-api.localhost:4580", "/dev/")
    assert target is not None
    assert target.routes.api.id == OTHER.id
    assert target.domain_name == "zzz999.execute-api.localhost"
    assert target.domain_prefix == "zzz999"
    assert target.request_context_path == "/dev/"


def test_a_stage_name_two_apis_share_needs_the_host_or_the_restapis_path() -> None:
    assert TABLE.resolve("127.0.0.1", "/dev/") is None
    target = TABLE.resolve("127.0.0.1", "/restapis/zzz999/dev/_user_request_/")
    assert target is not None
    assert target.routes.api.id == OTHER.id


def test_custom_domain_without_base_path_maps_the_whole_path() -> None:
    target = TABLE.resolve("api.postcards.localhost:4580", "/v1/postcards")
    assert target is not None
    assert (target.routes.stage.name, target.resource_path, target.event_path) == (
        "v1",
        "/v1/postcards",
        "/v1/postcards",
    )
    assert target.domain_prefix == "api"


def test_custom_domain_base_paths_pick_the_api_and_keep_the_path_in_the_event() -> None:
    postcards = TABLE.resolve("shared.localhost", "/postcards/v1/postcards")
    other = TABLE.resolve("shared.localhost", "/anything")
    assert postcards is not None
    assert other is not None
    assert postcards.routes.api.id == API.id
    assert postcards.resource_path == "/v1/postcards"
    assert postcards.event_path == "/postcards/v1/postcards"
    assert other.routes.api.id == OTHER.id


@pytest.mark.parametrize(
    ("uri", "target"),
    [
        (
            "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/"
            "arn:aws:lambda:us-east-1:123456789012:function:postcards:live/invocations",
            LambdaTarget("postcards", "live"),
        ),
        (
            "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/"
            "arn:aws:lambda:us-east-1:123456789012:function:postcards/invocations",
            LambdaTarget("postcards", None),
        ),
    ],
)
def test_lambda_targets_come_from_the_invoke_uri(uri: str, target: LambdaTarget) -> None:
    assert LambdaTarget.from_integration_uri(uri) == target


def test_an_invoke_uri_of_another_service_is_refused() -> None:
    with pytest.raises(ValueError, match="not a Lambda invoke URI"):
        LambdaTarget.from_integration_uri("arn:aws:apigateway:us-east-1:sqs:path/123/queue")

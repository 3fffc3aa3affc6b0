"""A snapshot finds each (host, raw path, method)'s route once and remembers it, boundedly."""

from __future__ import annotations

import pytest

from local.services.apigateway import snapshot as snapshot_module
from local.services.apigateway.models import GatewayState, Integration, Method, Resource, RestApi, Stage
from local.services.apigateway.snapshot import Snapshot

HOST = "127.0.0.1:4580"


def _snapshot() -> Snapshot:
    integration = Integration(
        "AWS_PROXY", uri="arn:aws:apigateway:us-east-1:lambda:path/x/functions/f/invocations"
    )
    api = RestApi(
        "api0000001",
        "cards",
        (
            Resource("r0", "/"),
            Resource("r1", "/cards/{id}", {"GET": Method("GET", integration=integration)}),
        ),
        stages={"v1": Stage("v1", "d1")},
    )
    return Snapshot(GatewayState("123456789012", "us-east-1", apis={api.id: api}))


def test_a_repeated_request_gets_the_remembered_route() -> None:
    snapshot = _snapshot()

    first = snapshot.route(HOST, "/v1/cards/a%20b", "GET")
    again = snapshot.route(HOST, "/v1/cards/a%20b", "GET")

    assert again is first
    assert first.match is not None
    assert first.match.path_parameters == {"id": "a b"}
    assert first.runtime is not None
    assert first.runtime.resource.path == "/cards/{id}"


def test_routes_differ_by_path_method_and_host() -> None:
    snapshot = _snapshot()

    other_card = snapshot.route(HOST, "/v1/cards/b", "GET")
    other_method = snapshot.route(HOST, "/v1/cards/b", "POST")
    other_stage = snapshot.route(HOST, "/v2/cards/b", "GET")
    by_api_host = snapshot.route("api0000001.execute-api.localhost", "/v1/cards/b", "GET")

    assert other_card.match is not None
    assert other_card.match.path_parameters == {"id": "b"}
    assert other_method.target is not None  # the stage exists ...
    assert (other_method.match, other_method.runtime) == (None, None)  # ... the method does not
    assert (other_stage.target, other_stage.match) == (None, None)
    assert by_api_host.target is not None
    assert by_api_host.target.domain_name == "api0000001.execute-api.localhost"


def test_the_memory_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(snapshot_module, "ROUTE_CACHE_SIZE", 2)
    snapshot = _snapshot()
    first = snapshot.route(HOST, "/v1/cards/1", "GET")
    snapshot.route(HOST, "/v1/cards/2", "GET")

    snapshot.route(HOST, "/v1/cards/3", "GET")  # over the bound: the remembered routes are dropped

    assert snapshot.route(HOST, "/v1/cards/1", "GET") is not first
    assert snapshot.route(HOST, "/v1/cards/1", "GET") == first  # found again, the same

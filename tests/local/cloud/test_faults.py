"""The local faults in process (no cloud): the control endpoint's operations and refusals, the
DynamoDB API-error rule as the edge answers with it, the latency rule, and which invocations the
Lambda faults pick."""

from __future__ import annotations

import asyncio
import json
import random
from typing import Any

import pytest
from aiohttp.test_utils import make_mocked_request

from local.cloud.faults import KINDS, LocalFaults
from local.edge.faults import EdgeFaults, LatencyRule
from local.services.dynamodb.faults import ApiErrorRule
from local.services.lambda_.faults import KillRule, LambdaFaults

FUNCTION_AGENT = "Boto3/1.40 md/Botocore#1.40 ua/2.1 os/linux exec-env/AWS_Lambda_python3.13"
CLI_AGENT = "aws-cli/2.27 md/Botocore#1.40 ua/2.1 os/linux"


class Restarts:
    def __init__(self) -> None:
        self.calls: list[tuple[bool, float]] = []

    async def __call__(self, running: bool, delay_ms: float) -> None:
        self.calls.append((running, delay_ms))


def control(
    faults: LocalFaults, method: str, path: str = "/_local/faults", body: Any = None
) -> tuple[int, Any]:
    async def call() -> tuple[int, Any]:
        raw = b"" if body is None else json.dumps(body).encode()
        request = make_mocked_request(method, path, payload=_Payload(raw))
        response = await faults.handle(request)
        text = response.body.decode() if isinstance(response.body, bytes) else ""
        return response.status, json.loads(text) if text else None

    return asyncio.run(call())


class _Payload:
    def __init__(self, raw: bytes) -> None:
        self.raw = raw

    async def read(self, n: int = -1) -> bytes:
        raw, self.raw = self.raw, b""
        return raw

    async def readany(self) -> bytes:
        return await self.read()

    def at_eof(self) -> bool:
        return not self.raw


@pytest.fixture
def restarts() -> Restarts:
    return Restarts()


@pytest.fixture
def faults(restarts: Restarts) -> LocalFaults:
    return LocalFaults(EdgeFaults(seed=1), LambdaFaults(), restarts)


def test_a_fault_is_set_listed_and_cleared_and_the_container_api_restarted_as_usual(
    faults: LocalFaults, restarts: Restarts
) -> None:
    # When a slow container API is set
    status, added = control(faults, "POST", body={"kind": "container-api-slow", "delay_ms": 1500})

    # Then it is on, listed with its settings, and the stand-in was restarted answering late
    assert status == 201
    assert restarts.calls == [(True, 1500.0)]
    status, listed = control(faults, "GET")
    assert [(f["id"], f["kind"], f["settings"]) for f in listed["faults"]] == [
        (added["id"], "container-api-slow", {"delay_ms": 1500})
    ]
    assert set(listed["kinds"]) == set(KINDS)

    # And once cleared, nothing is on and the stand-in runs as usual
    assert control(faults, "DELETE", f"/_local/faults/{added['id']}")[0] == 204
    assert restarts.calls[-1] == (True, 0.0)
    assert control(faults, "GET")[1]["faults"] == []
    assert control(faults, "DELETE", f"/_local/faults/{added['id']}")[0] == 404


@pytest.mark.parametrize(
    ("body", "status", "says"),
    [
        ({"kind": "disk-full"}, 400, "unknown fault kind"),
        ({"kind": "dynamodb-throttle", "percent": 0}, 400, "percent must be above 0"),
        ({"kind": "dynamodb-throttle", "error": "ValidationException"}, 400, "error must be one of"),
        ({"kind": "aws-latency"}, 400, "delay_ms must be above 0"),
        ({"kind": "kill-environment"}, 400, "function: the name of the function is required"),
        ({"kind": "container-api-slow", "delay_ms": -5}, 400, "delay_ms must be above 0"),
        ([1, 2], 400, "must be a JSON object"),
    ],
)
def test_a_bad_fault_is_refused_with_its_reason_and_nothing_is_set(
    faults: LocalFaults, restarts: Restarts, body: Any, status: int, says: str
) -> None:
    answer_status, answer = control(faults, "POST", body=body)
    assert answer_status == status
    assert says in answer["error"]
    assert control(faults, "GET")[1]["faults"] == []
    assert restarts.calls == []


def test_a_second_container_api_fault_is_refused_until_the_first_is_cleared(faults: LocalFaults) -> None:
    assert control(faults, "POST", body={"kind": "container-api-down"})[0] == 201
    status, answer = control(faults, "POST", body={"kind": "container-api-slow", "delay_ms": 100})
    assert status == 409
    assert "already on" in answer["error"]


def test_clearing_all_faults_undoes_each(faults: LocalFaults, restarts: Restarts) -> None:
    control(faults, "POST", body={"kind": "container-api-down"})
    control(faults, "POST", body={"kind": "dynamodb-throttle", "percent": 50})
    control(faults, "POST", body={"kind": "function-error", "function": "f"})
    assert control(faults, "DELETE")[0] == 204
    assert control(faults, "GET")[1]["faults"] == []
    assert faults.edge.answering == {}
    assert faults.functions.errors == {}
    assert restarts.calls == [(False, 0.0), (True, 0.0)]


def test_the_dynamodb_rule_answers_only_functions_calls_to_dynamodb_as_dynamodb_does() -> None:
    rule = ApiErrorRule.from_settings({"percent": 100}, "ProvisionedThroughputExceededException")
    rng = random.Random(0)
    status, headers, body = rule.answer("DynamoDB_20120810.PutItem", FUNCTION_AGENT, rng) or (0, {}, b"")
    assert status == 400
    assert headers["Content-Type"] == "application/x-amz-json-1.0"
    assert (
        json.loads(body)["__type"]
        == "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException"
    )
    assert rule.answer("DynamoDB_20120810.PutItem", CLI_AGENT, rng) is None  # the CLI's and tests' calls
    assert rule.answer("AmazonSQS.SendMessage", FUNCTION_AGENT, rng) is None
    internal = ApiErrorRule.from_settings({"operations": "Query"}, "InternalServerError")
    assert internal.answer("DynamoDB_20120810.PutItem", FUNCTION_AGENT, rng) is None
    assert (internal.answer("DynamoDB_20120810.Query", FUNCTION_AGENT, rng) or (0,))[0] == 500
    assert (rule.answered, internal.answered) == (1, 1)


def test_a_share_of_calls_is_answered_with_the_error() -> None:
    rule = ApiErrorRule.from_settings({"percent": 30}, "ThrottlingException")
    rng = random.Random(7)
    refused = sum(
        rule.answer("DynamoDB_20120810.GetItem", FUNCTION_AGENT, rng) is not None for _ in range(2000)
    )
    assert 0.25 < refused / 2000 < 0.35


def test_latency_applies_to_functions_calls_to_the_services_named() -> None:
    rule = LatencyRule.from_settings({"delay_ms": 250, "services": "dynamodb,s3"})
    assert rule.delay_s("dynamodb", FUNCTION_AGENT) == 0.25
    assert rule.delay_s("sqs", FUNCTION_AGENT) == 0.0
    assert rule.delay_s("dynamodb", CLI_AGENT) == 0.0


def test_a_kill_rule_takes_as_many_invocations_of_its_function_as_it_counts() -> None:
    functions = LambdaFaults()
    functions.kills["k"] = KillRule.from_settings({"function": "api", "count": 2})
    assert functions.decide("other").kill is None
    assert [functions.decide("api").kill is not None for _ in range(3)] == [True, True, False]
    timed = KillRule.from_settings({"function": "api", "after_ms": 150, "count": "all"})
    assert (timed.when, timed.after_ms, timed.remaining) == ("after-ms", 150.0, None)

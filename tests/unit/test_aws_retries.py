"""The functions' AWS clients near an invocation's deadline: an error answer is retried as the SDK
retries it while there is time, and raised at once when a retry would outlast the invocation (the
DynamoDB-throttle chaos experiment found writes timing out mid-backoff: 502s instead of 503s)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from botocore.awsrequest import AWSResponse
from botocore.exceptions import ClientError

from common import aws, deadline

THROTTLED = (
    b'{"__type":"com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",'
    b'"message":"slow down"}'
)


class _Raw:
    def __init__(self, body: bytes) -> None:
        self.body = body

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self.body


class Clock:
    def __init__(self, remaining_ms: int) -> None:
        self.remaining_ms = remaining_ms

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms


@pytest.fixture
def throttled_client(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Any, list[int]]]:
    """A DynamoDB client whose every call DynamoDB answers with a throttle; the attempts counted."""
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    aws.clear()
    client = aws.dynamodb()
    attempts: list[int] = []

    def answer(request: Any, **_: Any) -> AWSResponse:
        attempts.append(1)
        headers = {"Content-Type": "application/x-amz-json-1.0"}
        return AWSResponse(request.url, 400, headers, _Raw(THROTTLED))  # type: ignore[arg-type]

    client.meta.events.register("before-send.dynamodb", answer)
    monkeypatch.setattr("time.sleep", lambda seconds: None)  # the SDK's backoff, not waited out
    yield client, attempts
    deadline.forget()
    aws.clear()


def test_with_time_left_a_throttled_call_is_retried_as_the_sdk_retries_it(
    throttled_client: tuple[Any, list[int]],
) -> None:
    client, attempts = throttled_client
    deadline.follow(Clock(remaining_ms=9000))

    with pytest.raises(ClientError) as raised:
        client.get_item(TableName="t", Key={"id": {"S": "1"}})

    assert raised.value.response["Error"]["Code"] == "ProvisionedThroughputExceededException"
    assert len(attempts) == 4  # botocore's standard mode: 4 attempts for DynamoDB


def test_near_the_deadline_a_throttled_call_is_not_retried(throttled_client: tuple[Any, list[int]]) -> None:
    client, attempts = throttled_client
    deadline.follow(Clock(remaining_ms=int(aws.ANSWER_RESERVE_S * 1000) - 1))

    with pytest.raises(ClientError) as raised:
        client.get_item(TableName="t", Key={"id": {"S": "1"}})

    assert raised.value.response["Error"]["Code"] == "ProvisionedThroughputExceededException"
    assert len(attempts) == 1


def test_near_the_deadline_the_error_is_the_one_the_client_models(
    throttled_client: tuple[Any, list[int]],
) -> None:
    client, _ = throttled_client
    deadline.follow(Clock(remaining_ms=100))

    with pytest.raises(client.exceptions.ProvisionedThroughputExceededException):
        client.get_item(TableName="t", Key={"id": {"S": "1"}})

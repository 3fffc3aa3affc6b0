"""AWS SDK calls as X-Ray subsegments, recorded through botocore's events: what the X-Ray SDK's
botocore patch records, checked on the documents the daemon receives."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from botocore.config import Config
from botocore.exceptions import ClientError, EndpointConnectionError
from botocore.stub import Stubber

from common import aws, deadline
from common.xray import XRayProvider
from common.xray_botocore import Recorder, snake_case
from tests.unit.stack import Stack
from tests.unit.test_aws_retries import THROTTLED, Clock, _Raw
from tests.unit.xray_daemon import FUNCTION_SEGMENT_ID, TRACE_ID, Daemon

HEX16 = re.compile(r"^[0-9a-f]{16}$")


@pytest.fixture
def provider(stack: Stack, daemon: Daemon, monkeypatch: pytest.MonkeyPatch) -> Iterator[XRayProvider]:
    """Given the provider tracing botocore, on the moto stack, in a traced invocation."""
    monkeypatch.setattr(aws, "_client_hooks", {})
    aws.clear()
    provider = XRayProvider()
    provider.patch(["botocore"])
    yield provider
    aws.clear()


def test_a_dynamodb_query_is_an_aws_subsegment_under_the_subsegment_that_made_it(
    provider: XRayProvider, stack: Stack, daemon: Daemon
) -> None:
    sent_headers: list[str] = []
    client = aws.dynamodb()
    client.meta.events.register(
        "before-send", lambda request, **_: sent_headers.append(request.headers["X-Amzn-Trace-Id"].decode())
    )

    # When a traced method queries the feed index
    with provider.in_subsegment("## feed"):
        client.query(
            TableName=stack.postcards_table,
            IndexName="feed-index",
            KeyConditionExpression="feed = :f",
            ExpressionAttributeValues={":f": {"S": "all"}},
            Limit=5,
        )

    # Then the call is a subsegment in namespace aws named after the service, under the method's
    call, method = daemon.received()
    assert (call["name"], call["namespace"], call["type"]) == ("dynamodb", "aws", "subsegment")
    assert HEX16.match(call["id"])
    assert (call["trace_id"], call["parent_id"]) == (TRACE_ID, method["id"])
    assert method["parent_id"] == FUNCTION_SEGMENT_ID
    assert call["in_progress"] is False
    assert method["start_time"] <= call["start_time"] <= call["end_time"] <= method["end_time"]
    # ... with what the X-Ray SDK records for a Query
    request_id = call["aws"].pop("request_id")
    assert request_id
    # (moto sends no ConsumedCapacity unless asked: recorded when DynamoDB sends it)
    assert {k: v for k, v in call["aws"].items() if k != "consumed_capacity"} == {
        "operation": "Query",
        "region": "us-east-1",
        "table_name": stack.postcards_table,
        "index_name": "feed-index",
        "limit": 5,
        "retries": 0,
    }
    assert call["http"] == {"response": {"status": 200}}
    assert not {"error", "fault", "throttle", "cause"} & set(call)
    # ... and the request carried the trace header naming the call's subsegment as the parent
    assert sent_headers == [f"Root={TRACE_ID};Parent={call['id']};Sampled=1"]


def test_a_call_outside_any_subsegment_is_a_child_of_lambdas_function_segment(
    provider: XRayProvider, stack: Stack, daemon: Daemon
) -> None:
    aws.s3().put_object(Bucket=stack.media_bucket, Key="uploads/a.jpg", Body=b"jpeg")

    (call,) = daemon.received()
    assert call["parent_id"] == FUNCTION_SEGMENT_ID
    assert call["name"] == "s3"
    assert {k: call["aws"][k] for k in ("operation", "bucket_name", "key")} == {
        "operation": "PutObject",
        "bucket_name": stack.media_bucket,
        "key": "uploads/a.jpg",
    }


def test_a_failed_conditional_write_is_an_error_with_a_remote_cause_the_caller_refers_to(
    provider: XRayProvider, stack: Stack, daemon: Daemon
) -> None:
    client = aws.dynamodb()
    client.put_item(TableName=stack.uploads_table, Item={"id": {"S": "u-1"}})

    # When a traced method's conditional write fails, and the method lets the error out
    with (
        pytest.raises(client.exceptions.ConditionalCheckFailedException),
        provider.in_subsegment("## create"),
    ):
        client.put_item(
            TableName=stack.uploads_table,
            Item={"id": {"S": "u-1"}},
            ConditionExpression="attribute_not_exists(id)",
        )

    # Then the call is an error (400) and, as the SDK records every exception, a fault
    _, call, method = daemon.received()
    assert call["http"] == {"response": {"status": 400}}
    assert (call["error"], call["fault"]) == (True, True)
    assert "throttle" not in call
    (recorded,) = call["cause"]["exceptions"]
    assert recorded["type"] == "ConditionalCheckFailedException"
    assert recorded["message"].startswith(
        "An error occurred (ConditionalCheckFailedException) when calling the PutItem"
    )
    assert recorded["remote"] is True
    assert recorded["stack"]
    assert call["aws"]["request_id"]
    assert call["aws"]["table_name"] == stack.uploads_table
    # ... and the method's subsegment names the call's exception instead of recording it again
    assert method["fault"] is True
    assert method["cause"] == recorded["id"]


def test_s3s_second_request_id_is_recorded(provider: XRayProvider, daemon: Daemon) -> None:
    client = aws.s3()
    with Stubber(client) as stubber:
        answer = {
            "ResponseMetadata": {
                "RequestId": "R1",
                "HTTPStatusCode": 200,
                "HTTPHeaders": {"x-amz-id-2": "I2"},
            }
        }
        stubber.add_response("delete_object", answer, {"Bucket": "media", "Key": "uploads/a.jpg"})
        client.delete_object(Bucket="media", Key="uploads/a.jpg")

    (call,) = daemon.received()
    assert call["aws"] == {
        "operation": "DeleteObject",
        "region": "us-east-1",
        "bucket_name": "media",
        "key": "uploads/a.jpg",
        "request_id": "R1",
        "id_2": "I2",
    }


@pytest.mark.parametrize(
    ("status", "flags"),
    [(429, {"throttle": True, "error": True}), (503, {"fault": True}), (404, {"error": True})],
)
def test_the_status_sets_x_rays_flags(
    provider: XRayProvider, daemon: Daemon, status: int, flags: dict[str, bool]
) -> None:
    client = aws.dynamodb()
    # Given DynamoDB answering with this status (botocore's Stubber answers in its place)
    with Stubber(client) as stubber:
        stubber.add_client_error("get_item", service_error_code="SomeError", http_status_code=status)
        with pytest.raises(ClientError):
            client.get_item(TableName="t", Key={"id": {"S": "1"}})

    (call,) = daemon.received()
    assert call["http"]["response"]["status"] == status
    assert {flag: call[flag] for flag in ("throttle", "error") if flag in call} == {
        k: v for k, v in flags.items() if k != "fault"
    }
    assert call["fault"] is True  # the recorded exception: every exception is a fault in the SDK


def test_retries_are_counted_and_an_error_raised_near_the_deadline_is_recorded(
    provider: XRayProvider, daemon: Daemon, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = aws.dynamodb()

    def throttled(request: Any, **_: Any) -> AWSResponse:
        return AWSResponse(request.url, 400, {"Content-Type": "application/x-amz-json-1.0"}, _Raw(THROTTLED))  # type: ignore[arg-type]

    client.meta.events.register("before-send.dynamodb", throttled)
    monkeypatch.setattr("time.sleep", lambda seconds: None)
    # When a throttled call is retried as the SDK retries it (4 attempts)
    deadline.follow(Clock(remaining_ms=9000))
    with pytest.raises(client.exceptions.ProvisionedThroughputExceededException):
        client.get_item(TableName="t", Key={"id": {"S": "1"}})
    # ... and another is raised at once, near the deadline, by the functions' own needs-retry hook
    deadline.follow(Clock(remaining_ms=100))
    with pytest.raises(client.exceptions.ProvisionedThroughputExceededException):
        client.get_item(TableName="t", Key={"id": {"S": "1"}})
    deadline.forget()

    retried, raised = daemon.received()
    assert retried["aws"]["retries"] == 3
    assert retried["error"] is True
    assert retried["cause"]["exceptions"][0]["type"] == "ProvisionedThroughputExceededException"
    assert raised["aws"]["retries"] == 0
    assert raised["error"] is True
    assert raised["cause"]["exceptions"][0]["type"] == "ProvisionedThroughputExceededException"


def test_a_call_that_cannot_connect_is_sent_closed_and_unflagged_as_the_sdk_sends_it(
    daemon: Daemon, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    client = boto3.session.Session().client(
        "sqs",
        region_name="us-east-1",
        endpoint_url="http://127.0.0.1:9",  # nothing listens on the discard port
        config=Config(retries={"total_max_attempts": 1}),
    )
    Recorder(XRayProvider()).instrument(client)

    with pytest.raises(EndpointConnectionError):
        client.delete_message(QueueUrl="http://127.0.0.1:9/1/q", ReceiptHandle="r")

    (call,) = daemon.received()
    assert (call["name"], call["aws"]["operation"], call["aws"]["queue_url"]) == (
        "sqs",
        "DeleteMessage",
        "http://127.0.0.1:9/1/q",
    )
    assert call["in_progress"] is False
    assert not {"error", "fault", "throttle", "cause"} & set(call)


def test_a_call_with_invalid_parameters_records_nothing_and_leaves_nothing_open(
    provider: XRayProvider, daemon: Daemon
) -> None:
    with provider.in_subsegment("## method"):
        with pytest.raises(Exception, match="Parameter validation failed"):
            aws.dynamodb().get_item(TableName="t")  # no Key
        inner = provider.current()

    (method,) = daemon.received()
    assert method["name"] == "## method"
    assert inner is not None
    assert inner.id == method["id"]  # the open subsegment is still the method's


def test_an_unsampled_invocation_passes_its_decision_on_and_sends_nothing(
    provider: XRayProvider, stack: Stack, daemon: Daemon, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(
        "_X_AMZN_TRACE_ID", f"Root={TRACE_ID};Parent={FUNCTION_SEGMENT_ID};Sampled=0;Lineage=a:1"
    )
    sent_headers: list[str] = []
    client = aws.dynamodb()
    client.meta.events.register(
        "before-send", lambda request, **_: sent_headers.append(request.headers["X-Amzn-Trace-Id"].decode())
    )

    client.get_item(TableName=stack.postcards_table, Key={"id": {"S": "missing"}})

    assert daemon.received() == []
    (header,) = sent_headers
    assert header.startswith(f"Root={TRACE_ID};Parent=")
    assert header.endswith(";Sampled=0;Lineage=a:1")


def test_batch_reads_record_the_tables_and_receives_the_message_count(
    provider: XRayProvider, stack: Stack, daemon: Daemon
) -> None:
    aws.dynamodb().batch_get_item(RequestItems={stack.uploads_table: {"Keys": [{"id": {"S": "u-1"}}]}})
    sqs = aws.client("sqs")
    queue = sqs.create_queue(QueueName="failures")["QueueUrl"]
    sqs.send_message(QueueUrl=queue, MessageBody="m")
    sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10)

    batch, create, send, receive = daemon.received()
    assert batch["aws"]["table_names"] == [stack.uploads_table]
    assert create["aws"]["operation"] == "CreateQueue"  # not in the SDK's list: no parameters
    assert set(create["aws"]) == {"operation", "region", "request_id", "retries"}
    assert send["aws"]["message_id"]
    assert (receive["aws"]["message_count"], receive["aws"]["max_number_of_messages"]) == (1, 10)


@pytest.mark.parametrize(
    ("name", "snake"),
    [
        ("TableName", "table_name"),
        ("QueueUrl", "queue_url"),
        ("ConsumedCapacity", "consumed_capacity"),
        ("Key", "key"),
    ],
)
def test_parameter_names_become_snake_case_fields(name: str, snake: str) -> None:
    assert snake_case(name) == snake


def test_a_failure_to_record_never_fails_the_aws_call(
    provider: XRayProvider, stack: Stack, daemon: Daemon, monkeypatch: pytest.MonkeyPatch, caplog: Any
) -> None:
    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("a bug in the recorder")

    monkeypatch.setattr(provider, "subsegment", broken)

    answer = aws.dynamodb().get_item(TableName=stack.postcards_table, Key={"id": {"S": "missing"}})

    assert answer["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert daemon.received() == []
    assert "Could not record an AWS call for X-Ray" in caplog.text

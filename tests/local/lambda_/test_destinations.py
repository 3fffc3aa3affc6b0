"""Invocation records and their delivery, without a control plane: the document Lambda sends, the
oversized record sent without its payloads, and each destination kind reached the way Lambda does."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from local.control_client import ControlPlaneError
from local.services.lambda_.destinations import Destinations, EventConfig, invocation_record
from local.services.lambda_.invocation import Outcome

FUNCTION = "arn:aws:lambda:us-east-1:123456789012:function:worker"
QUEUE = "arn:aws:sqs:us-east-1:123456789012:failures"
TOPIC = "arn:aws:sns:us-east-1:123456789012:results"
BUS = "arn:aws:events:us-east-1:123456789012:event-bus/default"


class RecordingClient:
    """The calls Destinations makes on the control plane, answered as SQS/SNS/EventBridge would."""

    def __init__(self, fail_events: bool = False) -> None:
        self.calls: list[tuple[str, str, dict[str, Any]]] = []
        self.fail_events = fail_events

    async def json_call(self, service: str, target: str, body: dict[str, Any], *_: Any) -> dict[str, Any]:
        self.calls.append((service, target, body))
        if target == "AmazonSQS.GetQueueUrl":
            return {"QueueUrl": f"https://sqs.local/{body['QueueOwnerAWSAccountId']}/{body['QueueName']}"}
        if target == "AWSEvents.PutEvents" and self.fail_events:
            return {"FailedEntryCount": 1, "Entries": [{"ErrorCode": "InternalFailure"}]}
        return {}

    async def query_call(self, service: str, action: str, params: dict[str, Any]) -> dict[str, Any]:
        self.calls.append((service, action, params))
        return {}


def record(condition: str = "RetriesExhausted", payload: bytes = b'{"n": 1}') -> dict[str, Any]:
    return invocation_record(
        request_id="req-1",
        invoked_arn=FUNCTION,
        condition=condition,  # type: ignore[arg-type]
        invoke_count=3,
        payload=payload,
        outcome=Outcome(b'{"errorType": "Boom"}', "Boom", "error"),
        executed_version="$LATEST",
    )


def deliver(destination: str, document: dict[str, Any], client: RecordingClient) -> list[bytes]:
    invoked: list[bytes] = []

    async def invoke_async(name: str, payload: bytes) -> None:
        invoked.append(payload)

    asyncio.run(Destinations(client, invoke_async).send(destination, document))  # type: ignore[arg-type]
    return invoked


def test_the_record_is_lambdas_document_with_the_unqualified_arn_as_latest() -> None:
    document = record()

    assert document["version"] == "1.0"
    assert document["requestContext"] == {
        "requestId": "req-1",
        "functionArn": f"{FUNCTION}:$LATEST",
        "condition": "RetriesExhausted",
        "approximateInvokeCount": 3,
    }
    assert document["requestPayload"] == {"n": 1}
    assert document["responseContext"] == {
        "statusCode": 200,
        "executedVersion": "$LATEST",
        "functionError": "Unhandled",
    }
    assert document["responsePayload"] == {"errorType": "Boom"}
    assert document["timestamp"].endswith("Z")


def test_an_event_that_never_ran_has_no_response_part() -> None:
    document = invocation_record(
        request_id="r",
        invoked_arn=f"{FUNCTION}:live",
        condition="EventAgeExceeded",
        invoke_count=0,
        payload=b"{}",
        outcome=None,
        executed_version="",
    )

    assert document["requestContext"]["functionArn"] == f"{FUNCTION}:live"
    assert "responseContext" not in document
    assert "responsePayload" not in document


def test_a_queue_destination_is_found_by_name_and_sent_the_record() -> None:
    client = RecordingClient()

    deliver(QUEUE, record(), client)

    assert [call[1] for call in client.calls] == ["AmazonSQS.GetQueueUrl", "AmazonSQS.SendMessage"]
    sent = client.calls[1][2]
    assert sent["QueueUrl"].endswith("/123456789012/failures")
    assert json.loads(sent["MessageBody"])["requestContext"]["condition"] == "RetriesExhausted"


def test_a_record_over_the_topics_limit_goes_without_its_payloads() -> None:
    client = RecordingClient()
    big = json.dumps({"blob": "x" * 300_000}).encode()  # over SNS's 256 KB

    deliver(TOPIC, record(payload=big), client)

    [(service, action, params)] = client.calls
    assert (service, action, params["TopicArn"]) == ("sns", "Publish", TOPIC)
    message = json.loads(params["Message"])
    assert "requestPayload" not in message
    assert "responsePayload" not in message
    assert message["requestContext"]["requestId"] == "req-1"


def test_a_function_destination_is_invoked_asynchronously_with_the_record() -> None:
    invoked = deliver(f"{FUNCTION}-next", record("Success"), RecordingClient())

    [payload] = invoked
    assert json.loads(payload)["requestContext"]["condition"] == "Success"


def test_a_bus_destination_gets_lambdas_detail_type_and_resources() -> None:
    client = RecordingClient()

    deliver(BUS, record("Success"), client)

    [(_, target, body)] = client.calls
    [entry] = body["Entries"]
    assert target == "AWSEvents.PutEvents"
    assert entry["DetailType"] == "Lambda Function Invocation Result - Success"
    assert entry["Source"] == "lambda"
    assert entry["Resources"] == [BUS, f"{FUNCTION}:$LATEST"]


def test_a_failed_delivery_is_reported_not_raised(capsys: Any) -> None:
    deliver(BUS, record(), RecordingClient(fail_events=True))
    deliver("arn:aws:s3:::a-bucket", record(), RecordingClient())

    errors = capsys.readouterr().err
    assert f"could not send the invocation record to {BUS}" in errors
    assert "unsupported destination arn:aws:s3:::a-bucket" in errors


def test_event_config_takes_lambdas_defaults_where_unset() -> None:
    assert EventConfig.from_api({}, default_max_age_s=21600) == EventConfig(2, 21600, None, None)
    configured = EventConfig.from_api(
        {
            "MaximumRetryAttempts": 0,
            "MaximumEventAgeInSeconds": 60,
            "DestinationConfig": {"OnFailure": {"Destination": QUEUE}, "OnSuccess": {}},
        },
        default_max_age_s=21600,
    )
    assert configured == EventConfig(0, 60.0, None, QUEUE)


def test_control_plane_errors_name_the_destination(capsys: Any) -> None:
    class Refusing(RecordingClient):
        async def query_call(self, service: str, action: str, params: dict[str, Any]) -> dict[str, Any]:
            raise ControlPlaneError(404, "NotFound", "Topic does not exist")

    deliver(TOPIC, record(), Refusing())

    assert f"could not send the invocation record to {TOPIC}" in capsys.readouterr().err

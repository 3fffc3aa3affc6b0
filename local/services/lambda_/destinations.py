"""Asynchronous invocations' settings and destinations, as Lambda applies them.

An alias's or function's event invoke configuration bounds the retries and the age of an event, and
may name where Lambda sends a record of each invocation: on success, and on failure (retries
exhausted, or the event too old). A destination is an SQS queue, an SNS topic, a Lambda function or
an EventBridge bus; the record is the same JSON document for each.

https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html
"""

from __future__ import annotations

import json
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from local.control_client import ControlPlaneClient, ControlPlaneError
from local.invoke import MAX_ASYNC_PAYLOAD
from local.services.lambda_.invocation import Outcome

Condition = Literal["Success", "RetriesExhausted", "EventAgeExceeded"]
# The largest message each destination takes; a larger record goes without its payloads, as Lambda
# sends it. (S3 bucket destinations are not served locally.)
_LIMITS = {"sqs": 1024 * 1024, "sns": 256 * 1024, "lambda": MAX_ASYNC_PAYLOAD, "events": 256 * 1024}
# Invokes a function asynchronously: (function name or ARN, payload).
AsyncInvoke = Callable[[str, bytes], Awaitable[Any]]


@dataclass(frozen=True)
class EventConfig:
    """The event invoke configuration of a function or alias (Lambda's defaults where unset)."""

    retries: int = 2
    max_age_s: float = 6 * 3600
    on_success: str | None = None
    on_failure: str | None = None

    @classmethod
    def from_api(cls, document: dict[str, Any], default_max_age_s: float) -> EventConfig:
        """From GetFunctionEventInvokeConfig's answer ({} when the function has none)."""
        destinations = document.get("DestinationConfig") or {}
        return cls(
            retries=int(document.get("MaximumRetryAttempts", 2)),
            max_age_s=float(document.get("MaximumEventAgeInSeconds", default_max_age_s)),
            on_success=(destinations.get("OnSuccess") or {}).get("Destination") or None,
            on_failure=(destinations.get("OnFailure") or {}).get("Destination") or None,
        )


def invocation_record(
    *,
    request_id: str,
    invoked_arn: str,
    condition: Condition,
    invoke_count: int,
    payload: bytes,
    outcome: Outcome | None,
    executed_version: str,
) -> dict[str, Any]:
    """The document Lambda sends to a destination. ``outcome`` is None when the function never ran
    (an event throttled until it was too old): then there is no response part."""
    record: dict[str, Any] = {
        "version": "1.0",
        "timestamp": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "requestContext": {
            "requestId": request_id,
            "functionArn": invoked_arn if invoked_arn.count(":") >= 7 else f"{invoked_arn}:$LATEST",
            "condition": condition,
            "approximateInvokeCount": invoke_count,
        },
        "requestPayload": json.loads(payload),  # Invoke accepts JSON only
    }
    if outcome is not None:
        context: dict[str, Any] = {"statusCode": 200, "executedVersion": executed_version}
        if outcome.failed:
            context["functionError"] = "Unhandled"
        record["responseContext"] = context
        try:
            record["responsePayload"] = json.loads(outcome.payload) if outcome.payload else None
        except ValueError:
            record["responsePayload"] = outcome.payload.decode(errors="replace")
    return record


class Destinations:
    """Sends invocation records through the local AWS endpoint, as Lambda's service would."""

    def __init__(self, client: ControlPlaneClient, invoke_async: AsyncInvoke) -> None:
        self.client = client
        self.invoke_async = invoke_async

    async def send(self, destination: str, record: dict[str, Any]) -> None:
        """Deliver ``record``; a destination that cannot take it is reported, never raised."""
        service = destination.split(":")[2] if destination.count(":") >= 5 else ""
        body = json.dumps(record)
        if len(body.encode()) > _LIMITS.get(service, len(body) * 4):
            record = {k: v for k, v in record.items() if k not in {"requestPayload", "responsePayload"}}
            body = json.dumps(record)
        try:
            if service == "sqs":
                await self._to_queue(destination, body)
            elif service == "sns":
                await self.client.query_call("sns", "Publish", {"TopicArn": destination, "Message": body})
            elif service == "lambda":
                await self.invoke_async(destination, body.encode())
            elif service == "events":
                await self._to_bus(destination, record, body)
            else:
                raise ControlPlaneError(400, "InvalidDestination", f"unsupported destination {destination}")
        except Exception as error:  # any failure of delivery: reported, and the event's task goes on
            print(
                f"lambda: could not send the invocation record to {destination}: {error!r}",
                file=sys.stderr,
            )

    async def _to_queue(self, arn: str, body: str) -> None:
        _, _, _, _, account, name = arn.split(":", 5)
        found = await self.client.json_call(
            "sqs", "AmazonSQS.GetQueueUrl", {"QueueName": name, "QueueOwnerAWSAccountId": account}, "1.0"
        )
        await self.client.json_call(
            "sqs", "AmazonSQS.SendMessage", {"QueueUrl": found["QueueUrl"], "MessageBody": body}, "1.0"
        )

    async def _to_bus(self, arn: str, record: dict[str, Any], body: str) -> None:
        success = record["requestContext"]["condition"] == "Success"
        entry = {
            "Source": "lambda",
            "DetailType": f"Lambda Function Invocation Result - {'Success' if success else 'Failure'}",
            "Detail": body,
            "Resources": [arn, record["requestContext"]["functionArn"]],
            "EventBusName": arn,
        }
        answer = await self.client.json_call("events", "AWSEvents.PutEvents", {"Entries": [entry]})
        if answer.get("FailedEntryCount"):
            raise ControlPlaneError(400, "PutEventsFailed", json.dumps(answer.get("Entries")))

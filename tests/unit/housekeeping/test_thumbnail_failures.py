"""Uploads whose thumbnail failed for good (the thumbnails function's on-failure queue): each run
of the job marks them failed, removes their file and drains the queue; nothing else is touched.
(The chaos experiment tests/local/chaos/test_thumbnails_failing.py found them pending forever.)"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import boto3
import pytest

from common.uploads import upload_key
from housekeeping import failures
from tests.unit.housekeeping.helpers import World
from tests.unit.stack import REGION

Run = Callable[[], dict[str, Any]]
QUEUE = "postcards-test-thumbnails-failures"


@pytest.fixture
def queue(world: World, monkeypatch: pytest.MonkeyPatch) -> str:
    """Given the on-failure queue Terraform creates, named in the job's environment."""
    monkeypatch.setenv("THUMBNAIL_FAILURE_QUEUE", QUEUE)
    return str(boto3.client("sqs", region_name=REGION).create_queue(QueueName=QUEUE)["QueueUrl"])


def failure_record(*keys: str) -> str:
    """What Lambda sends its on-failure destination after the retries of an S3 event."""
    return json.dumps(
        {
            "version": "1.0",
            "timestamp": "2026-03-14T11:59:00.000Z",
            "requestContext": {
                "requestId": "e4b46cbf-b738-xmpl-8880-a18cdf61200e",
                "functionArn": "arn:aws:lambda:us-east-1:123456789012:function:thumbnails:live",
                "condition": "RetriesExhausted",
                "approximateInvokeCount": 3,
            },
            "requestPayload": {"Records": [{"s3": {"object": {"key": key}}} for key in keys]},
            "responseContext": {"statusCode": 200, "executedVersion": "1", "functionError": "Unhandled"},
            "responsePayload": {"errorType": "InjectedFault", "errorMessage": "boom"},
        }
    )


def send(queue_url: str, body: str) -> None:
    boto3.client("sqs", region_name=REGION).send_message(QueueUrl=queue_url, MessageBody=body)


def queued(queue_url: str) -> int:
    names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    attributes = boto3.client("sqs", region_name=REGION).get_queue_attributes(
        QueueUrl=queue_url, AttributeNames=names
    )["Attributes"]
    return sum(int(attributes[name]) for name in names)


def status(world: World, upload_id: str) -> dict[str, Any]:
    item = world.ddb.get_item(TableName=world.stack.uploads_table, Key={"id": {"S": upload_id}})["Item"]
    return {name: value["S"] for name, value in item.items() if "S" in value}


def test_an_upload_whose_thumbnail_failed_for_good_is_marked_failed_and_its_file_removed(
    world: World, queue: str, run: Run
) -> None:
    # Given a fresh pending upload with its file, whose S3 event the thumbnails function gave up on
    upload_id = world.upload("pending", timedelta(minutes=2))
    send(queue, failure_record(upload_key(upload_id)))

    # When the job runs
    summary = run()

    # Then the upload is failed with a reason the uploader can read, its file is gone, the queue empty
    drained = {"messages": 1, "marked_failed": 1, "already_settled": 0, "unreadable": 0}
    assert summary["thumbnail_failures"] == drained
    stored = status(world, upload_id)
    assert stored["status"] == "failed"
    assert stored["reason"] == failures.REASON
    assert upload_key(upload_id) not in world.object_keys()
    assert queued(queue) == 0


def test_an_upload_that_became_ready_meanwhile_stays_ready(world: World, queue: str, run: Run) -> None:
    # Given a failure record for an upload that a later redrive made ready
    upload_id = world.upload("ready", timedelta(minutes=2), postcard_id="p" * 32)
    send(queue, failure_record(upload_key(upload_id)))

    summary = run()

    assert summary["thumbnail_failures"]["already_settled"] == 1
    assert status(world, upload_id)["status"] == "ready"
    assert upload_key(upload_id) in world.object_keys()
    assert queued(queue) == 0


def test_a_message_that_is_no_failure_record_is_dropped_with_nothing_changed(
    world: World, queue: str, run: Run
) -> None:
    upload_id = world.upload("pending", timedelta(minutes=2))
    send(queue, "not json")
    send(queue, failure_record("thumbnails/not-an-upload.webp"))

    summary = run()

    assert summary["thumbnail_failures"]["unreadable"] == 2
    assert status(world, upload_id)["status"] == "pending"
    assert queued(queue) == 0


def test_a_run_drains_at_most_its_budget_and_leaves_the_rest(
    world: World, queue: str, run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(failures, "MAX_BATCH", 2)
    ids = [world.upload("pending", timedelta(minutes=2)) for _ in range(3)]
    for upload_id in ids:
        send(queue, failure_record(upload_key(upload_id)))
    monkeypatch.setenv("HOUSEKEEPING_MAX_FAILURE_MESSAGES", "2")

    summary = run()

    assert summary["thumbnail_failures"]["messages"] == 2
    assert queued(queue) == 1


def test_without_the_queue_setting_nothing_is_drained(world: World, run: Run) -> None:
    assert run()["thumbnail_failures"] is None

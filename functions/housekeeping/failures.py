"""Uploads whose thumbnail never came: the thumbnails function's on-failure queue, drained.

When the thumbnails function fails an upload's S3 event every time Lambda tries it (its retries
spent, or the event too old), Lambda sends an invocation record to the function's on-failure
destination, an SQS queue, and nothing else happens: the upload would stay ``pending`` until it is
swept as stale a day later, and its uploader would wait on it all that time. Each run here reads
that queue (bounded), marks each such upload ``failed`` with a reason (only if still ``pending``:
an upload that a later retry or redrive made ``ready`` stays so), removes its file, and deletes the
message once handled, so that a message is only ever lost after its upload is settled.

The record's shape: https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html
(``requestContext.condition``, ``requestPayload``: the S3 event).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import unquote_plus

from aws_lambda_powertools import Logger
from botocore.exceptions import ClientError

from common import aws, clock
from common.uploads import FAILED, PENDING, UPLOAD_PREFIX, is_valid_id, upload_key

logger = Logger(child=True)

REASON: Final = "the photo could not be processed; please upload it again"
MAX_BATCH: Final = 10  # SQS's most per ReceiveMessage


@dataclass
class DrainResult:
    messages: int = 0
    marked_failed: int = 0
    already_settled: int = 0  # ready or failed meanwhile, or gone: left as they are
    unreadable: int = 0  # not an invocation record of an S3 event: deleted, with a log line


def drain(queue_name: str, uploads_table: str, bucket: str, *, max_messages: int) -> DrainResult:
    result = DrainResult()
    sqs = aws.client("sqs")
    queue_url = sqs.get_queue_url(QueueName=queue_name)["QueueUrl"]
    while result.messages < max_messages:
        batch = sqs.receive_message(
            QueueUrl=queue_url,
            MaxNumberOfMessages=min(MAX_BATCH, max_messages - result.messages),
            WaitTimeSeconds=0,
        ).get("Messages", [])
        if not batch:
            break
        for message in batch:
            result.messages += 1
            upload_ids = list(_upload_ids(message.get("Body", "")))
            if not upload_ids:
                result.unreadable += 1
                logger.warning(
                    "not an S3 event's failure record", extra={"message_id": message.get("MessageId")}
                )
            for upload_id in upload_ids:
                if _mark_failed(uploads_table, upload_id):
                    result.marked_failed += 1
                    _remove_file(bucket, upload_id)
                else:
                    result.already_settled += 1
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    return result


def _upload_ids(body: str) -> Iterator[str]:
    try:
        record = json.loads(body)
    except ValueError:
        return
    payload = record.get("requestPayload") if isinstance(record, dict) else None
    records = payload.get("Records") if isinstance(payload, dict) else None
    for entry in records if isinstance(records, list) else []:
        key = unquote_plus(str(entry.get("s3", {}).get("object", {}).get("key", "")))  # S3 URL-encodes keys
        upload_id = key.removeprefix(UPLOAD_PREFIX)
        if key.startswith(UPLOAD_PREFIX) and is_valid_id(upload_id):
            yield upload_id


def _mark_failed(table: str, upload_id: str) -> bool:
    """pending -> failed; False when the upload is no longer pending (or gone)."""
    try:
        aws.dynamodb().update_item(
            TableName=table,
            Key={"id": {"S": upload_id}},
            UpdateExpression="SET #s = :failed, reason = :reason, updated_at = :now",
            ConditionExpression="#s = :pending",
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues={
                ":failed": {"S": FAILED},
                ":pending": {"S": PENDING},
                ":reason": {"S": REASON},
                ":now": {"S": clock.now_iso()},
            },
        )
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
            return False
        raise
    return True


def _remove_file(bucket: str, upload_id: str) -> None:
    try:
        aws.s3().delete_object(Bucket=bucket, Key=upload_key(upload_id))
    except ClientError:  # the sweep removes it with the failed item later
        logger.warning(
            "could not remove a failed upload's file", extra={"upload_id": upload_id}, exc_info=True
        )


def as_dict(result: DrainResult) -> dict[str, Any]:
    return dict(vars(result))

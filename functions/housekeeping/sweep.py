"""Find the uploads nobody will use any more and remove them: item first, then its objects.

Candidates come from Queries on the uploads table's ``status-index`` (hash ``status``, range
``created_at``), oldest first — never a Scan:

- ``failed``: older than the failure retention (the thumbnails function already removed the file);
- ``pending``: older than the orphan age — the presigned form expired long ago, so the file either
  never came or could not be processed;
- ``ready`` without ``postcard_id``: older than the orphan age and never claimed by a postcard.

Each item is deleted only if its status and ``postcard_id`` are still what the Query returned, so a
postcard that claims an upload at the same moment wins, and two runs at once remove each upload
once. The item goes before its objects: a claim refused because the item is gone is safe, while
objects deleted under a freshly claimed item would leave a postcard with a broken photo.
"""

from __future__ import annotations

import enum
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger
from botocore.exceptions import ClientError

from common import aws, clock
from common.uploads import FAILED, PENDING, READY, thumbnail_key, upload_key
from housekeeping.config import Config

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import AttributeValueTypeDef

logger = Logger(child=True)

STATUS_INDEX = "status-index"


class Reason(enum.StrEnum):
    FAILED = "failed"
    STALE_PENDING = "stale_pending"
    UNCLAIMED = "unclaimed"


@dataclass(frozen=True)
class Candidate:
    id: str
    status: str
    created_at: str
    postcard_id: str | None
    thumbnail_key: str | None


@dataclass
class SweepResult:
    removed: Counter[Reason] = field(default_factory=Counter)
    # Candidates that changed between the Query and the delete (claimed, processed, or removed by
    # a concurrent run): left alone, as the condition intends.
    changed: int = 0
    # Items removed whose objects could not be deleted (logged with their keys).
    object_errors: int = 0
    # True when the run stopped at its item or time budget with candidates still waiting.
    more_remaining: bool = False


def sweep(config: Config, now: datetime, out_of_time: Callable[[], bool]) -> SweepResult:
    result = SweepResult()
    for reason, candidate in _candidates(config, now):
        if sum(result.removed.values()) >= config.max_items or out_of_time():
            result.more_remaining = True
            logger.warning(
                "stopping with uploads left to remove",
                extra={"removed": sum(result.removed.values()), "max_items": config.max_items},
            )
            break
        if not _delete_item(config, candidate):
            result.changed += 1
            continue
        result.removed[reason] += 1
        if not _delete_objects(config, candidate):
            result.object_errors += 1
    return result


def _candidates(config: Config, now: datetime) -> Iterator[tuple[Reason, Candidate]]:
    orphan_cutoff = clock.isoformat(now - config.orphan_after)
    for candidate in _query(config, FAILED, before=clock.isoformat(now - config.failed_retention)):
        yield Reason.FAILED, candidate
    for candidate in _query(config, PENDING, before=orphan_cutoff):
        yield Reason.STALE_PENDING, candidate
    unclaimed = _query(
        config,
        READY,
        before=orphan_cutoff,
        since=clock.isoformat(now - config.orphan_after - config.unclaimed_lookback),
        unclaimed_only=True,
    )
    for candidate in unclaimed:
        yield Reason.UNCLAIMED, candidate


def _query(
    config: Config, status: str, *, before: str, since: str | None = None, unclaimed_only: bool = False
) -> Iterator[Candidate]:
    values: dict[str, AttributeValueTypeDef] = {":status": {"S": status}, ":before": {"S": before}}
    if since is None:
        key_condition = "#s = :status AND created_at < :before"
    else:
        key_condition = "#s = :status AND created_at BETWEEN :since AND :before"
        values[":since"] = {"S": since}
    query: dict[str, Any] = {
        "TableName": config.uploads_table,
        "IndexName": STATUS_INDEX,
        "KeyConditionExpression": key_condition,
        "ProjectionExpression": "id, #s, created_at, postcard_id, thumbnail_key",
        "ExpressionAttributeNames": {"#s": "status"},
        "ExpressionAttributeValues": values,
        "PaginationConfig": {"PageSize": config.page_size},
    }
    if unclaimed_only:
        query["FilterExpression"] = "attribute_not_exists(postcard_id)"
    for page in aws.dynamodb().get_paginator("query").paginate(**query):
        for item in page.get("Items", []):
            yield Candidate(
                id=item["id"]["S"],
                status=item["status"]["S"],
                created_at=item["created_at"]["S"],
                postcard_id=_string(item, "postcard_id"),
                thumbnail_key=_string(item, "thumbnail_key"),
            )


def _delete_item(config: Config, candidate: Candidate) -> bool:
    values: dict[str, AttributeValueTypeDef] = {":status": {"S": candidate.status}}
    if candidate.postcard_id is None:
        claim_unchanged = "attribute_not_exists(postcard_id)"
    else:
        claim_unchanged = "postcard_id = :postcard"
        values[":postcard"] = {"S": candidate.postcard_id}
    try:
        aws.dynamodb().delete_item(
            TableName=config.uploads_table,
            Key={"id": {"S": candidate.id}},
            ConditionExpression=f"#s = :status AND {claim_unchanged}",
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues=values,
        )
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
            logger.info("upload changed since it was read; left alone", extra={"upload_id": candidate.id})
            return False
        raise
    return True


def _delete_objects(config: Config, candidate: Candidate) -> bool:
    """Delete the upload's original and thumbnail (absent keys are fine). The item is already gone,
    so nothing would find these objects again: a failure is logged with the keys, not raised."""
    keys = sorted({upload_key(candidate.id), candidate.thumbnail_key or thumbnail_key(candidate.id)})
    try:
        response = aws.s3().delete_objects(
            Bucket=config.media_bucket,
            Delete={"Objects": [{"Key": key} for key in keys], "Quiet": True},
        )
    except ClientError:
        logger.exception("could not delete the objects of a removed upload", extra={"keys": keys})
        return False
    errors = response.get("Errors", [])
    if errors:
        logger.error(
            "could not delete the objects of a removed upload", extra={"keys": keys, "errors": errors}
        )
        return False
    return True


def _string(item: dict[str, AttributeValueTypeDef], name: str) -> str | None:
    value = item.get(name)
    return value.get("S") if value is not None else None

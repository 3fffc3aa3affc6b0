"""Service figures read from the tables for the job's metrics."""

from __future__ import annotations

from datetime import UTC, datetime

from common import aws

FEED = "all"
FEED_INDEX = "feed-index"


def postcards_written_on(day: datetime, *, table: str, page_size: int) -> int:
    """How many postcards were written on ``day`` (UTC): a COUNT Query on ``feed-index``.

    ``feed_key`` is ``<created_at>#<id>`` and ``created_at`` starts with the ISO date, so one day is
    one key prefix. COUNT returns no items but still pages (per 1 MB read), hence the paginator.
    """
    prefix = day.astimezone(UTC).date().isoformat()
    pages = (
        aws.dynamodb()
        .get_paginator("query")
        .paginate(
            TableName=table,
            IndexName=FEED_INDEX,
            KeyConditionExpression="feed = :feed AND begins_with(feed_key, :day)",
            ExpressionAttributeValues={":feed": {"S": FEED}, ":day": {"S": prefix}},
            Select="COUNT",
            PaginationConfig={"PageSize": page_size},
        )
    )
    return sum(page.get("Count", 0) for page in pages)

"""Test helpers for the housekeeping job: seeded uploads and postcards, a scheduled event, EMF output."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3

from common import clock
from common.uploads import thumbnail_key, upload_key
from tests.unit.emf import EmfMetric
from tests.unit.stack import REGION, Stack

# The job's clock is pinned here, so "today" and every age are exact whatever the wall clock says.
NOW = datetime(2026, 3, 14, 12, 0, 0, tzinfo=UTC)


def scheduled_event() -> dict[str, Any]:
    """What an EventBridge schedule delivers."""
    return {
        "version": "0",
        "id": "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "123456789012",
        "time": "2026-03-14T12:00:00Z",
        "region": REGION,
        "resources": ["arn:aws:events:us-east-1:123456789012:rule/postcards-housekeeping"],
        "detail": {},
    }


@dataclass
class World:
    """The uploads table, postcards table and media bucket, seeded relative to NOW."""

    stack: Stack
    ddb: Any = field(default_factory=lambda: boto3.client("dynamodb", region_name=REGION))
    s3: Any = field(default_factory=lambda: boto3.client("s3", region_name=REGION))

    def upload(
        self,
        status: str,
        age: timedelta,
        *,
        postcard_id: str | None = None,
        with_objects: bool = True,
    ) -> str:
        """An upload created ``age`` before NOW, with its original (and thumbnail when ready)."""
        upload_id = uuid.uuid4().hex
        item: dict[str, Any] = {
            "id": {"S": upload_id},
            "status": {"S": status},
            "content_type": {"S": "image/jpeg"},
            "size_bytes": {"N": "1234"},
            "created_at": {"S": clock.isoformat(NOW - age)},
        }
        if postcard_id is not None:
            item["postcard_id"] = {"S": postcard_id}
        if status == "ready":
            item["thumbnail_key"] = {"S": thumbnail_key(upload_id)}
        if status == "failed":
            item["reason"] = {"S": "the file is not a JPEG, PNG or WebP image"}
        self.ddb.put_item(TableName=self.stack.uploads_table, Item=item)
        if with_objects and status != "failed":
            self.put_object(upload_key(upload_id))
        if with_objects and status == "ready":
            self.put_object(thumbnail_key(upload_id))
        return upload_id

    def postcard(self, created_at: datetime) -> str:
        postcard_id = uuid.uuid4().hex
        created = clock.isoformat(created_at)
        self.ddb.put_item(
            TableName=self.stack.postcards_table,
            Item={
                "id": {"S": postcard_id},
                "author": {"S": "Ada"},
                "message": {"S": "Hello"},
                "created_at": {"S": created},
                "feed": {"S": "all"},
                "feed_key": {"S": f"{created}#{postcard_id}"},
            },
        )
        return postcard_id

    def put_object(self, key: str) -> None:
        self.s3.put_object(Bucket=self.stack.media_bucket, Key=key, Body=b"bytes")

    def has_item(self, upload_id: str) -> bool:
        response = self.ddb.get_item(TableName=self.stack.uploads_table, Key={"id": {"S": upload_id}})
        return "Item" in response

    def object_keys(self) -> set[str]:
        listing = self.s3.list_objects_v2(Bucket=self.stack.media_bucket)
        return {obj["Key"] for obj in listing.get("Contents", [])}

    def upload_ids(self) -> set[str]:
        # A Scan is fine in a test: it checks the job's Queries against the whole table.
        items = self.ddb.scan(TableName=self.stack.uploads_table)["Items"]
        return {item["id"]["S"] for item in items}


def metric(found: list[EmfMetric], name: str, **dimensions: str) -> float:
    """The value of ``name`` published with exactly ``dimensions`` besides ``service``."""
    matches = [
        m
        for m in found
        if m.name == name and {k: v for k, v in m.dimensions.items() if k != "service"} == dimensions
    ]
    assert len(matches) == 1, f"expected one {name} {dimensions}, found {matches}"
    return matches[0].value

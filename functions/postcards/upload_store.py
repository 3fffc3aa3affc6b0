"""Upload items in DynamoDB as the API sees them: create a pending slot, read one or many.

Reads are strongly consistent, so a postcard shows a thumbnail the moment the thumbnails function
has recorded it, whichever of the two was written first.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from common import aws, settings
from common.uploads import PENDING
from postcards.errors import unavailable

if TYPE_CHECKING:
    from collections.abc import Iterable

    from mypy_boto3_dynamodb.type_defs import KeysAndAttributesTypeDef

_BATCH_ROUNDS: Final = 4  # first try plus three retries of UnprocessedKeys, with backoff
_BACKOFF_SECONDS = 0.05
_PROJECTION: Final = "id, #s, content_type, size_bytes, created_at, thumbnail_key, reason, postcard_id"


@dataclass(frozen=True)
class Upload:
    id: str
    status: str
    content_type: str | None = None
    size_bytes: int | None = None
    created_at: str | None = None
    thumbnail_key: str | None = None
    reason: str | None = None
    postcard_id: str | None = None


def create_pending(upload: Upload) -> None:
    item: dict[str, Any] = {
        "id": {"S": upload.id},
        "status": {"S": PENDING},
        "content_type": {"S": upload.content_type},
        "size_bytes": {"N": str(upload.size_bytes)},
        "created_at": {"S": upload.created_at},
        "updated_at": {"S": upload.created_at},
    }
    aws.dynamodb().put_item(TableName=_table(), Item=item, ConditionExpression="attribute_not_exists(id)")


def get(upload_id: str) -> Upload | None:
    response = aws.dynamodb().get_item(
        TableName=_table(),
        Key={"id": {"S": upload_id}},
        ConsistentRead=True,
        ProjectionExpression=_PROJECTION,
        ExpressionAttributeNames={"#s": "status"},
    )
    item = response.get("Item")
    return _from_item(item) if item else None


def get_many(upload_ids: Iterable[str]) -> dict[str, Upload]:
    """The uploads that exist among ``upload_ids`` (at most 100, the BatchGetItem limit), by id."""
    wanted = sorted(set(upload_ids))
    if not wanted:
        return {}
    table = _table()
    request: dict[str, KeysAndAttributesTypeDef] = {
        table: {
            "Keys": [{"id": {"S": upload_id}} for upload_id in wanted],
            "ConsistentRead": True,
            "ProjectionExpression": _PROJECTION,
            "ExpressionAttributeNames": {"#s": "status"},
        }
    }
    found: dict[str, Upload] = {}
    for attempt in range(_BATCH_ROUNDS):
        if attempt:
            time.sleep(
                _BACKOFF_SECONDS * 2**attempt
            )  # DynamoDB asks for backoff before retrying throttled keys
        response = aws.dynamodb().batch_get_item(RequestItems=request)
        for item in response.get("Responses", {}).get(table, []):
            upload = _from_item(item)
            found[upload.id] = upload
        request = response.get("UnprocessedKeys") or {}  # type: ignore[assignment]
        if not request:
            return found
    raise unavailable()


def _from_item(item: dict[str, Any]) -> Upload:
    def text(name: str) -> str | None:
        value = item.get(name)
        return value["S"] if value and "S" in value else None

    size = item.get("size_bytes")
    return Upload(
        id=item["id"]["S"],
        status=text("status") or PENDING,
        content_type=text("content_type"),
        size_bytes=int(size["N"]) if size and "N" in size else None,
        created_at=text("created_at"),
        thumbnail_key=text("thumbnail_key"),
        reason=text("reason"),
        postcard_id=text("postcard_id"),
    )


def _table() -> str:
    return settings.required("UPLOADS_TABLE")

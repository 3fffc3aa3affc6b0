"""The thumbnails function's reads and writes: the upload item (DynamoDB) and the media objects (S3).

State changes are conditional, so a duplicate or concurrent run of the same event can never undo
what another run decided: ``pending`` becomes ``ready`` or ``failed`` once, and only ``pending`` can
become ``failed``. A condition that does not hold is reported as False, never raised; every other
AWS error propagates so that Lambda's retry and on-failure destination see it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from botocore.exceptions import ClientError

from common import aws, clock, settings
from common.uploads import FAILED, PENDING, READY

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import AttributeValueTypeDef

# Thumbnails never change once an upload is ready (a later object in a settled slot is removed, not
# processed), so browsers and CloudFront may keep them for a year.
THUMBNAIL_CACHE_CONTROL: Final = "public, max-age=31536000, immutable"
THUMBNAIL_CONTENT_TYPE: Final = "image/webp"

_MISSING_OBJECT_CODES: Final = frozenset({"NoSuchKey", "404", "NotFound"})


@dataclass(frozen=True)
class Upload:
    id: str
    status: str
    content_type: str | None
    source_etag: str | None


@dataclass(frozen=True)
class StoredObject:
    etag: str
    size: int
    data: bytes | None  # None when the object is larger than the caller's limit (not downloaded)


def get_upload(upload_id: str) -> Upload | None:
    response = aws.dynamodb().get_item(
        TableName=_uploads_table(),
        Key={"id": {"S": upload_id}},
        ConsistentRead=True,
        ProjectionExpression="#s, content_type, source_etag",
        ExpressionAttributeNames={"#s": "status"},
    )
    item = response.get("Item")
    if item is None:
        return None
    return Upload(
        id=upload_id,
        status=_string(item, "status") or "",
        content_type=_string(item, "content_type"),
        source_etag=_string(item, "source_etag"),
    )


def mark_ready(upload_id: str, *, thumbnail_key: str, width: int, height: int, etag: str) -> bool:
    """pending -> ready. Repeating it for the same object (same ETag) writes the same values."""
    return _conditional_update(
        upload_id,
        update=(
            "SET #s = :ready, thumbnail_key = :key, width = :w, height = :h,"
            " source_etag = :etag, updated_at = :now REMOVE reason"
        ),
        condition="#s = :pending OR (#s = :ready AND source_etag = :etag)",
        values={
            ":ready": {"S": READY},
            ":pending": {"S": PENDING},
            ":key": {"S": thumbnail_key},
            ":w": {"N": str(width)},
            ":h": {"N": str(height)},
            ":etag": {"S": etag},
            ":now": {"S": clock.now_iso()},
        },
    )


def mark_failed(upload_id: str, reason: str) -> bool:
    """pending -> failed with a reason for the user; a settled upload is left as it is."""
    return _conditional_update(
        upload_id,
        update="SET #s = :failed, reason = :reason, updated_at = :now",
        condition="#s = :pending",
        values={
            ":failed": {"S": FAILED},
            ":pending": {"S": PENDING},
            ":reason": {"S": reason},
            ":now": {"S": clock.now_iso()},
        },
    )


def fetch_object(bucket: str, key: str, max_bytes: int) -> StoredObject | None:
    """The object, or None if it no longer exists. Larger than ``max_bytes``: metadata only."""
    try:
        response = aws.s3().get_object(Bucket=bucket, Key=key)
    except ClientError as error:
        if _error_code(error) in _MISSING_OBJECT_CODES:
            return None
        raise
    body = response["Body"]
    size = response["ContentLength"]
    etag = _unquote(response["ETag"])
    try:
        if size > max_bytes:
            return StoredObject(etag=etag, size=size, data=None)
        # Never trust the header alone with memory: read at most one byte past the limit.
        data = body.read(max_bytes + 1)
    finally:
        body.close()
    if len(data) > max_bytes:
        return StoredObject(etag=etag, size=len(data), data=None)
    return StoredObject(etag=etag, size=len(data), data=data)


def object_etag(bucket: str, key: str) -> str | None:
    try:
        response = aws.s3().head_object(Bucket=bucket, Key=key)
    except ClientError as error:
        if _error_code(error) in _MISSING_OBJECT_CODES:
            return None
        raise
    return _unquote(response["ETag"])


def delete_object(bucket: str, key: str) -> None:
    # Deleting a key that is already gone succeeds: repeating a removal is harmless.
    aws.s3().delete_object(Bucket=bucket, Key=key)


def put_thumbnail(bucket: str, key: str, webp: bytes) -> None:
    aws.s3().put_object(
        Bucket=bucket,
        Key=key,
        Body=webp,
        ContentType=THUMBNAIL_CONTENT_TYPE,
        CacheControl=THUMBNAIL_CACHE_CONTROL,
    )


def _conditional_update(
    upload_id: str, *, update: str, condition: str, values: dict[str, AttributeValueTypeDef]
) -> bool:
    try:
        aws.dynamodb().update_item(
            TableName=_uploads_table(),
            Key={"id": {"S": upload_id}},
            UpdateExpression=update,
            # attribute_exists: an update must never create an item for an id we do not know.
            ConditionExpression=f"attribute_exists(id) AND ({condition})",
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues=values,
        )
    except ClientError as error:
        if _error_code(error) == "ConditionalCheckFailedException":
            return False
        raise
    return True


def _uploads_table() -> str:
    return settings.required("UPLOADS_TABLE")


def _string(item: dict[str, AttributeValueTypeDef], name: str) -> str | None:
    value = item.get(name)
    return value.get("S") if value is not None else None


def _error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def _unquote(etag: str) -> str:
    return etag.strip('"')

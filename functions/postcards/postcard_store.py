"""Postcards in DynamoDB: write one (claiming its upload atomically), read one, read the feed.

The feed is a Query on GSI ``feed-index`` (hash ``feed`` = "all", range ``feed_key`` =
``<created_at>#<id>``), newest first; never a Scan. An upload is claimed in the same transaction
that writes the postcard, so two postcards can never share one photo and a refused claim leaves
nothing behind.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from botocore.exceptions import ClientError

from common import aws, settings
from common.uploads import FAILED
from postcards.cursor import Position

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import AttributeValueTypeDef, TransactWriteItemTypeDef

FEED: Final = "all"
FEED_INDEX: Final = "feed-index"


@dataclass(frozen=True)
class Postcard:
    id: str
    author: str
    message: str
    created_at: str
    upload_id: str | None = None
    stamp: str | None = None

    @property
    def feed_key(self) -> str:
        return f"{self.created_at}#{self.id}"


class ClaimRefusal(enum.Enum):
    UPLOAD_MISSING = "upload_not_found"
    UPLOAD_CLAIMED = "upload_already_claimed"
    UPLOAD_FAILED = "upload_failed"
    CONTENDED = "upload_claim_contended"  # another transaction touched the upload at the same moment


class AlreadyStored(Exception):
    """A postcard with this id exists: an earlier attempt of the same keyed write stored it."""


class UploadClaimError(Exception):
    def __init__(self, refusal: ClaimRefusal) -> None:
        super().__init__(refusal.value)
        self.refusal = refusal


def put(postcard: Postcard) -> None:
    """Write a new postcard; with an upload, claim it in the same transaction or write nothing."""
    item = _to_item(postcard)
    if postcard.upload_id is None:
        try:
            aws.dynamodb().put_item(
                TableName=_table(), Item=item, ConditionExpression="attribute_not_exists(id)"
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                raise AlreadyStored(postcard.id) from error
            raise
        return
    transaction: list[TransactWriteItemTypeDef] = [
        {"Put": {"TableName": _table(), "Item": item, "ConditionExpression": "attribute_not_exists(id)"}},
        {
            "Update": {
                "TableName": settings.required("UPLOADS_TABLE"),
                "Key": {"id": {"S": postcard.upload_id}},
                "UpdateExpression": "SET postcard_id = :postcard",
                "ConditionExpression": "attribute_exists(id) AND attribute_not_exists(postcard_id)"
                " AND #s <> :failed",
                "ExpressionAttributeNames": {"#s": "status"},
                "ExpressionAttributeValues": {":postcard": {"S": postcard.id}, ":failed": {"S": FAILED}},
                "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
            }
        },
    ]
    try:
        aws.dynamodb().transact_write_items(TransactItems=transaction)
    except ClientError as error:
        if _postcard_exists(error):
            raise AlreadyStored(postcard.id) from error
        refusal = _claim_refusal(error)
        if refusal is None:
            raise
        raise UploadClaimError(refusal) from error


def get(postcard_id: str) -> Postcard | None:
    response = aws.dynamodb().get_item(TableName=_table(), Key={"id": {"S": postcard_id}})
    item = response.get("Item")
    return _from_item(item) if item else None


def page(limit: int, after: Position | None) -> tuple[list[Postcard], Position | None]:
    """Up to ``limit`` postcards, newest first, and where the next page starts (None: no more).

    One extra item is asked for so that ``next`` is None exactly when nothing follows, rather than
    handing out a cursor to an empty page whenever the last page happens to be full.
    """
    query: dict[str, Any] = {
        "TableName": _table(),
        "IndexName": FEED_INDEX,
        "KeyConditionExpression": "feed = :feed",
        "ExpressionAttributeValues": {":feed": {"S": FEED}},
        "ScanIndexForward": False,
        "Limit": limit + 1,
    }
    if after is not None:
        query["ExclusiveStartKey"] = {
            "id": {"S": after.postcard_id},
            "feed": {"S": FEED},
            "feed_key": {"S": after.feed_key},
        }
    items = aws.dynamodb().query(**query).get("Items", [])
    postcards = [_from_item(item) for item in items[:limit]]
    has_more = len(items) > limit
    following = Position(postcards[-1].feed_key, postcards[-1].id) if has_more else None
    return postcards, following


def _postcard_exists(error: ClientError) -> bool:
    if error.response.get("Error", {}).get("Code") != "TransactionCanceledException":
        return False
    reasons: list[dict[str, Any]] = error.response.get("CancellationReasons", [])  # type: ignore[assignment]
    return bool(reasons) and reasons[0].get("Code") == "ConditionalCheckFailed"


def _claim_refusal(error: ClientError) -> ClaimRefusal | None:
    if error.response.get("Error", {}).get("Code") != "TransactionCanceledException":
        return None
    reasons: list[dict[str, Any]] = error.response.get("CancellationReasons", [])  # type: ignore[assignment]
    upload_reason = reasons[1] if len(reasons) > 1 else {}
    code = upload_reason.get("Code")
    if code == "TransactionConflict":
        return ClaimRefusal.CONTENDED
    if code != "ConditionalCheckFailed":
        return None  # the postcard id collided or DynamoDB refused for its own reasons: a 5xx
    old = upload_reason.get("Item")
    if not old:
        return ClaimRefusal.UPLOAD_MISSING
    if "postcard_id" in old:
        return ClaimRefusal.UPLOAD_CLAIMED
    return ClaimRefusal.UPLOAD_FAILED


def _to_item(postcard: Postcard) -> dict[str, AttributeValueTypeDef]:
    item: dict[str, AttributeValueTypeDef] = {
        "id": {"S": postcard.id},
        "author": {"S": postcard.author},
        "message": {"S": postcard.message},
        "created_at": {"S": postcard.created_at},
        "feed": {"S": FEED},
        "feed_key": {"S": postcard.feed_key},
    }
    if postcard.upload_id is not None:
        item["upload_id"] = {"S": postcard.upload_id}
    if postcard.stamp is not None:
        item["stamp"] = {"S": postcard.stamp}
    return item


def _from_item(item: dict[str, Any]) -> Postcard:
    upload = item.get("upload_id")
    stamp = item.get("stamp")
    return Postcard(
        id=item["id"]["S"],
        author=item["author"]["S"],
        message=item["message"]["S"],
        created_at=item["created_at"]["S"],
        upload_id=upload["S"] if upload else None,
        stamp=stamp["S"] if stamp else None,
    )


def _table() -> str:
    return settings.required("POSTCARDS_TABLE")

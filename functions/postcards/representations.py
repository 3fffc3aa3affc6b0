"""The JSON the API returns for postcards and uploads (the OpenAPI schemas describe these shapes)."""

from __future__ import annotations

from typing import Any

from common import settings
from common.uploads import FAILED, READY, thumbnail_key
from postcards.postcard_store import Postcard
from postcards.upload_store import Upload


def postcard(card: Postcard, upload: Upload | None) -> dict[str, Any]:
    """A postcard with its photo as it is now; ``upload`` is the item ``card.upload_id`` names."""
    return {
        "id": card.id,
        "author": card.author,
        "message": card.message,
        "created_at": card.created_at,
        "photo": _photo(card.upload_id, upload) if card.upload_id else None,
        "stamp": card.stamp,
    }


def upload(item: Upload) -> dict[str, Any]:
    return {
        "id": item.id,
        "status": item.status,
        "content_type": item.content_type,
        "size_bytes": item.size_bytes,
        "created_at": item.created_at,
        "thumbnail_url": thumbnail_url(item),
        "failure_reason": item.reason if item.status == FAILED else None,
        "postcard_id": item.postcard_id,
    }


def thumbnail_url(item: Upload) -> str | None:
    if item.status != READY:
        return None
    base = settings.required("MEDIA_BASE_URL").rstrip("/")
    return f"{base}/{item.thumbnail_key or thumbnail_key(item.id)}"


def _photo(upload_id: str, item: Upload | None) -> dict[str, Any]:
    # Housekeeping deletes failed uploads; a photo whose upload is gone is, to a reader, a failed one.
    if item is None:
        return {"upload_id": upload_id, "status": FAILED, "thumbnail_url": None}
    return {"upload_id": upload_id, "status": item.status, "thumbnail_url": thumbnail_url(item)}

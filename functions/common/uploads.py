"""The upload lifecycle shared by postcards (creates slots), thumbnails (processes) and housekeeping.

An upload item in the uploads table moves ``pending`` -> ``ready`` | ``failed``. Its object lives at
``uploads/<id>`` in the media bucket; the thumbnail at ``thumbnails/<id>.webp``.
"""

from __future__ import annotations

import re
from typing import Final

PENDING: Final = "pending"
READY: Final = "ready"
FAILED: Final = "failed"
STATUSES: Final = (PENDING, READY, FAILED)

UPLOAD_PREFIX: Final = "uploads/"
THUMBNAIL_PREFIX: Final = "thumbnails/"

ALLOWED_CONTENT_TYPES: Final = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}
MAX_UPLOAD_BYTES: Final = 5 * 1024 * 1024
THUMBNAIL_MAX_PX: Final = 320

# Upload ids are uuid4 hex strings; anything else in a key or request is rejected before it reaches
# S3 or DynamoDB.
_ID = re.compile(r"[0-9a-f]{32}")


def is_valid_id(value: object) -> bool:
    return isinstance(value, str) and bool(_ID.fullmatch(value))


def upload_key(upload_id: str) -> str:
    return f"{UPLOAD_PREFIX}{upload_id}"


def thumbnail_key(upload_id: str) -> str:
    return f"{THUMBNAIL_PREFIX}{upload_id}.webp"


def upload_id_from_key(key: str) -> str | None:
    """The upload id of an ``uploads/<id>`` key, or None for any other key."""
    if not key.startswith(UPLOAD_PREFIX):
        return None
    candidate = key[len(UPLOAD_PREFIX) :]
    return candidate if is_valid_id(candidate) else None

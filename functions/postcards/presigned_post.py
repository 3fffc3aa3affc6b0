"""A browser-ready presigned S3 POST for one upload slot.

The signed policy, not the client, decides what may be stored: exactly the key ``uploads/<id>``,
exactly the declared Content-Type, a body between 1 byte and the declared size, before a short
expiry. S3 refuses anything else, so the thumbnails function only ever sees what was agreed here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from common import aws, settings
from common.uploads import upload_key

DEFAULT_TTL_SECONDS = 300


@dataclass(frozen=True)
class PresignedPost:
    url: str
    fields: dict[str, str]
    expires_in: int


def for_upload(upload_id: str, *, content_type: str, size_bytes: int) -> PresignedPost:
    expires_in = settings.integer("UPLOAD_URL_TTL_SECONDS", DEFAULT_TTL_SECONDS)
    conditions: list[Any] = [
        {"Content-Type": content_type},
        ["content-length-range", 1, size_bytes],
    ]
    post = aws.s3().generate_presigned_post(
        Bucket=settings.required("MEDIA_BUCKET"),
        Key=upload_key(upload_id),
        Fields={"Content-Type": content_type},
        Conditions=conditions,
        ExpiresIn=expires_in,
    )
    return PresignedPost(url=post["url"], fields=dict(post["fields"]), expires_in=expires_in)

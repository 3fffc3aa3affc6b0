"""Test helpers for the thumbnails function: upload slots, S3 events, real images."""

from __future__ import annotations

import io
import struct
import uuid
import zlib
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote_plus

import boto3
from PIL import Image

from common import clock
from tests.unit.stack import REGION, Stack


@dataclass(frozen=True)
class Media:
    """The media bucket and uploads table as the thumbnails function sees them."""

    stack: Stack

    @property
    def s3(self) -> Any:
        return boto3.client("s3", region_name=REGION)

    @property
    def ddb(self) -> Any:
        return boto3.client("dynamodb", region_name=REGION)

    def new_slot(self, content_type: str | None = "image/jpeg", status: str = "pending") -> str:
        """An upload slot as the postcards API creates it; returns its id."""
        upload_id = uuid.uuid4().hex
        item: dict[str, Any] = {
            "id": {"S": upload_id},
            "status": {"S": status},
            "size_bytes": {"N": "1000"},
            "created_at": {"S": clock.now_iso()},
        }
        if content_type is not None:
            item["content_type"] = {"S": content_type}
        self.ddb.put_item(TableName=self.stack.uploads_table, Item=item)
        return upload_id

    def item(self, upload_id: str) -> dict[str, Any] | None:
        response = self.ddb.get_item(TableName=self.stack.uploads_table, Key={"id": {"S": upload_id}})
        item = response.get("Item")
        if item is None:
            return None
        return {name: next(iter(value.values())) for name, value in item.items()}

    def put(self, key: str, body: bytes) -> None:
        self.s3.put_object(Bucket=self.stack.media_bucket, Key=key, Body=body)

    def get(self, key: str) -> dict[str, Any] | None:
        try:
            return self.s3.get_object(Bucket=self.stack.media_bucket, Key=key)
        except self.s3.exceptions.NoSuchKey:
            return None

    def exists(self, key: str) -> bool:
        return self.get(key) is not None

    def event(
        self, key: str, size: int | None = None, event_name: str = "ObjectCreated:Post"
    ) -> dict[str, Any]:
        """The S3 notification for ``key`` (URL-encoded as S3 sends it); size from the object."""
        if size is None:
            size = self.s3.head_object(Bucket=self.stack.media_bucket, Key=key)["ContentLength"]
        return s3_event(self.stack.media_bucket, key, size, event_name)


def s3_event(bucket: str, key: str, size: int, event_name: str = "ObjectCreated:Post") -> dict[str, Any]:
    return {
        "Records": [
            {
                "eventVersion": "2.1",
                "eventSource": "aws:s3",
                "awsRegion": REGION,
                "eventTime": "2026-01-31T12:00:00.000Z",
                "eventName": event_name,
                "userIdentity": {"principalId": "AWS:EXAMPLE"},
                "requestParameters": {"sourceIPAddress": "203.0.113.7"},
                "responseElements": {"x-amz-request-id": "R1", "x-amz-id-2": "I2"},
                "s3": {
                    "s3SchemaVersion": "1.0",
                    "configurationId": "thumbnails",
                    "bucket": {
                        "name": bucket,
                        "ownerIdentity": {"principalId": "EXAMPLE"},
                        "arn": f"arn:aws:s3:::{bucket}",
                    },
                    "object": {
                        "key": quote_plus(key, safe="/"),
                        "size": size,
                        "eTag": "0123456789abcdef",
                        "sequencer": "0055AED6DCD90281E5",
                    },
                },
            }
        ]
    }


def image_bytes(fmt: str, size: tuple[int, int] = (1000, 600), mode: str = "RGB", **save: Any) -> bytes:
    """A real image file: a left/right two-colour picture, so orientation can be checked."""
    image = Image.new(mode, size, _colour(mode, (255, 0, 0)))
    right = Image.new(mode, (size[0] - size[0] // 2, size[1]), _colour(mode, (0, 0, 255)))
    image.paste(right, (size[0] // 2, 0))
    out = io.BytesIO()
    image.save(out, format=fmt, **save)
    return out.getvalue()


def _colour(mode: str, rgb: tuple[int, int, int]) -> Any:
    if mode == "RGBA":
        return (*rgb, 128)
    if mode in ("L", "LA"):
        return 76 if mode == "L" else (76, 128)
    if mode in ("1", "P"):
        return 1 if rgb[0] else 0
    if mode == "I;16":
        return 40000 if rgb[0] else 1000
    if mode == "CMYK":
        return (255 - rgb[0], 255 - rgb[1], 255 - rgb[2], 0)
    return rgb


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that declares ``width`` x ``height`` in 60 bytes: the shape of a decompression bomb."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b"")
    )

"""store.fetch_object's memory guard, which moto cannot provoke: a body longer than its header says."""

from __future__ import annotations

import io
from typing import Any

import pytest

from common import aws
from thumbnails import store


class LyingS3:
    """An S3 whose GetObject announces fewer bytes than the body holds."""

    def __init__(self, body: bytes, announced: int) -> None:
        self.body = io.BytesIO(body)
        self.announced = announced

    def get_object(self, **kwargs: Any) -> dict[str, Any]:
        return {"Body": self.body, "ContentLength": self.announced, "ETag": '"abc"'}


def test_a_body_longer_than_announced_is_read_only_one_byte_past_the_limit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake = LyingS3(b"x" * 10_000, announced=10)
    monkeypatch.setattr(aws, "s3", lambda: fake)

    stored = store.fetch_object("bucket", "uploads/x", max_bytes=100)

    assert stored == store.StoredObject(etag="abc", size=101, data=None)
    assert fake.body.closed


def test_a_body_within_the_limit_is_returned_with_its_unquoted_etag(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(aws, "s3", lambda: LyingS3(b"abc", announced=3))

    assert store.fetch_object("bucket", "uploads/x", max_bytes=100) == store.StoredObject(
        etag="abc", size=3, data=b"abc"
    )

"""Opaque, tamper-evident pagination cursors for the feed.

A cursor names the last postcard of a page (its ``feed_key`` and ``id``, which together are the
GSI's ExclusiveStartKey). It is ``<base64url JSON>.<base64url HMAC-SHA256>`` keyed with the key in
SSM (postcards.signing_key), so a client can hold it but not forge or edit one: a changed byte fails
the signature and is answered 400 before it reaches DynamoDB.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Final

from common.uploads import is_valid_id

_VERSION: Final = 1
_SIGNATURE_BYTES: Final = 16  # 128 bits of HMAC-SHA256: ample against forgery, keeps URLs short
MAX_CURSOR_CHARS: Final = 512


class InvalidCursorError(ValueError):
    pass


@dataclass(frozen=True)
class Position:
    """The last item of a page: where the next page starts (exclusively)."""

    feed_key: str
    postcard_id: str


def encode(position: Position, key: bytes) -> str:
    payload = json.dumps(
        {"v": _VERSION, "k": position.feed_key, "i": position.postcard_id}, separators=(",", ":")
    ).encode()
    body = _b64encode(payload)
    return f"{body}.{_b64encode(_sign(body, key))}"


def decode(cursor: str, key: bytes) -> Position:
    if len(cursor) > MAX_CURSOR_CHARS or cursor.count(".") != 1:
        raise InvalidCursorError("malformed cursor")
    body, signature = cursor.split(".")
    try:
        given = _b64decode(signature)
    except (binascii.Error, ValueError):
        raise InvalidCursorError("malformed cursor") from None
    if not hmac.compare_digest(given, _sign(body, key)):
        raise InvalidCursorError("cursor signature does not match")
    # Signed by us, so well-formed unless the format changed: still checked, never trusted blindly.
    try:
        data = json.loads(_b64decode(body))
    except (binascii.Error, ValueError):
        raise InvalidCursorError("malformed cursor") from None
    if not isinstance(data, dict) or data.get("v") != _VERSION:
        raise InvalidCursorError("unsupported cursor version")
    feed_key, postcard_id = data.get("k"), data.get("i")
    if not isinstance(feed_key, str) or not is_valid_id(postcard_id):
        raise InvalidCursorError("malformed cursor")
    return Position(feed_key=feed_key, postcard_id=str(postcard_id))


def _sign(body: str, key: bytes) -> bytes:
    return hmac.new(key, body.encode(), hashlib.sha256).digest()[:_SIGNATURE_BYTES]


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))

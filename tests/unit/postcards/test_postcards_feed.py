"""Reading postcards: the paginated feed, one postcard, and the photo status joined at read time."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

import pytest

from postcards import cursor
from tests.unit.postcards.api_client import ApiClient
from tests.unit.stack import Stack

UPLOAD_ID = "ab" * 16
SIGNING_KEY = Stack().cursor_signing_key.encode()  # the SecureString the stack fixture creates


def write_postcards(api: ApiClient, count: int) -> list[dict[str, Any]]:
    cards = []
    for number in range(count):
        reply = api.post("/v1/postcards", {"author": f"author {number}", "message": f"message {number}"})
        assert reply.status == 201
        cards.append(reply.json)
    return cards


def read_all_pages(api: ApiClient, limit: int) -> list[list[dict[str, Any]]]:
    pages, target = [], f"/v1/postcards?limit={limit}"
    for _ in range(20):  # bounded: a broken cursor must fail the test, not hang it
        reply = api.get(target)
        assert reply.status == 200
        pages.append(reply.json["items"])
        next_cursor = reply.json["next_cursor"]
        if next_cursor is None:
            return pages
        target = f"/v1/postcards?limit={limit}&cursor={next_cursor}"
    raise AssertionError("pagination did not end")


def forge(payload: object, key: bytes = SIGNING_KEY) -> str:
    """A cursor signed with ``key`` around an arbitrary payload (to reach checks past the signature)."""
    body = base64.urlsafe_b64encode(json.dumps(payload).encode()).rstrip(b"=").decode()
    signature = hmac.new(key, body.encode(), hashlib.sha256).digest()[:16]
    return f"{body}.{base64.urlsafe_b64encode(signature).rstrip(b'=').decode()}"


def test_empty_feed(api: ApiClient) -> None:
    reply = api.get("/v1/postcards")

    assert reply.status == 200
    assert reply.json == {"items": [], "next_cursor": None}
    assert reply.headers["content-type"] == "application/json"


def test_feed_lists_newest_first_with_every_field(api: ApiClient) -> None:
    # Given three postcards written one after another
    cards = write_postcards(api, 3)

    # When the feed is read
    reply = api.get("/v1/postcards")

    # Then they come newest first, exactly as they were returned on creation
    assert reply.status == 200
    assert reply.json["items"] == list(reversed(cards))
    assert set(reply.json["items"][0]) == {"id", "author", "message", "created_at", "photo", "stamp"}


def test_pagination_walks_every_postcard_once_across_pages(api: ApiClient) -> None:
    cards = write_postcards(api, 7)

    pages = read_all_pages(api, limit=3)

    assert [len(page) for page in pages] == [3, 3, 1]
    assert [card["id"] for page in pages for card in page] == [card["id"] for card in reversed(cards)]


def test_a_full_last_page_has_no_next_cursor(api: ApiClient) -> None:
    write_postcards(api, 4)

    pages = read_all_pages(api, limit=2)

    # No cursor that leads to an empty page.
    assert [len(page) for page in pages] == [2, 2]


def test_default_limit_is_twenty_and_fifty_is_the_maximum(api: ApiClient) -> None:
    write_postcards(api, 21)

    assert len(api.get("/v1/postcards").json["items"]) == 20
    assert len(api.get("/v1/postcards?limit=50").json["items"]) == 21
    assert len(api.get("/v1/postcards?limit=").json["items"]) == 20


@pytest.mark.parametrize("limit", ["0", "51", "-1", "abc", "1.5", "+3", "9999", "%C2%B2", "5%0A"])
def test_out_of_range_or_malformed_limit_is_400(api: ApiClient, limit: str) -> None:
    reply = api.get(f"/v1/postcards?limit={limit}")

    assert reply.status == 400
    assert reply.error["code"] == "invalid_query"
    assert "1 to 50" in reply.error["message"]


def test_the_feed_is_a_query_on_the_feed_index_never_a_scan(api: ApiClient, monkeypatch: Any) -> None:
    write_postcards(api, 2)
    from common import aws

    client = aws.dynamodb()
    calls: list[str] = []
    for operation in ("query", "scan"):
        original = getattr(client, operation)

        def recording(*args: Any, _name: str = operation, _original: Any = original, **kwargs: Any) -> Any:
            calls.append(f"{_name}:{kwargs.get('IndexName')}:{kwargs.get('ScanIndexForward')}")
            return _original(*args, **kwargs)

        monkeypatch.setattr(client, operation, recording)

    assert api.get("/v1/postcards").status == 200
    assert calls == ["query:feed-index:False"]


class TestCursor:
    def test_cursor_is_opaque_and_signed(self, api: ApiClient) -> None:
        write_postcards(api, 3)

        next_cursor = api.get("/v1/postcards?limit=1").json["next_cursor"]

        assert next_cursor.count(".") == 1
        assert "author" not in next_cursor
        assert cursor.decode(next_cursor, SIGNING_KEY).postcard_id  # verifies under the service key
        with pytest.raises(cursor.InvalidCursorError):
            cursor.decode(next_cursor, b"another key")

    @pytest.mark.parametrize("position", ["payload", "signature"])
    def test_a_changed_character_is_400(self, api: ApiClient, position: str) -> None:
        write_postcards(api, 3)
        next_cursor = api.get("/v1/postcards?limit=1").json["next_cursor"]
        body, signature = next_cursor.split(".")
        if position == "payload":
            body = body[:-2] + ("A" if body[-2] != "A" else "B") + body[-1]
        else:
            signature = ("A" if signature[0] != "A" else "B") + signature[1:]

        reply = api.get(f"/v1/postcards?limit=1&cursor={body}.{signature}")

        assert reply.status == 400
        assert reply.error["code"] == "invalid_cursor"

    @pytest.mark.parametrize(
        "garbage",
        ["garbage", "a.b.c", "....", "x" * 600, "eyJ2IjoxfQ.a", "eyJ2IjoxfQ.%25%25%25", "%C3%A9t%C3%A9.abc"],
    )
    def test_garbage_is_400(self, api: ApiClient, garbage: str) -> None:
        reply = api.get(f"/v1/postcards?cursor={garbage}")

        assert reply.status == 400
        assert reply.error["code"] == "invalid_cursor"

    @pytest.mark.parametrize(
        "payload",
        [
            {"v": 2, "k": "2026-01-01T00:00:00.000000+00:00#" + UPLOAD_ID, "i": UPLOAD_ID},
            {"v": 1, "k": 7, "i": UPLOAD_ID},
            {"v": 1, "k": "x", "i": "not-an-id"},
            ["v", 1],
        ],
    )
    def test_a_signed_but_unusable_payload_is_400_not_500(self, api: ApiClient, payload: object) -> None:
        reply = api.get(f"/v1/postcards?cursor={forge(payload)}")

        assert reply.status == 400
        assert reply.error["code"] == "invalid_cursor"

    def test_signed_bytes_that_are_not_json_are_400(self, api: ApiClient) -> None:
        body = base64.urlsafe_b64encode(b"\xff\xfe").rstrip(b"=").decode()
        signature = hmac.new(SIGNING_KEY, body.encode(), hashlib.sha256).digest()[:16]
        token = f"{body}.{base64.urlsafe_b64encode(signature).rstrip(b'=').decode()}"

        reply = api.get(f"/v1/postcards?cursor={token}")

        assert reply.status == 400

    def test_a_cursor_signed_with_another_key_is_400(self, api: ApiClient) -> None:
        token = forge({"v": 1, "k": "2026#" + UPLOAD_ID, "i": UPLOAD_ID}, key=b"someone else's key")

        assert api.get(f"/v1/postcards?cursor={token}").status == 400

    def test_roundtrip(self) -> None:
        position = cursor.Position(
            feed_key="2026-01-31T12:00:00.000000+00:00#" + UPLOAD_ID, postcard_id=UPLOAD_ID
        )

        assert cursor.decode(cursor.encode(position, b"k"), b"k") == position


class TestOnePostcard:
    def test_get_returns_the_postcard(self, api: ApiClient) -> None:
        created = api.post("/v1/postcards", {"author": "Ann", "message": "Hello"})

        reply = api.get(created.headers["location"])

        assert reply.status == 200
        assert reply.json == created.json

    @pytest.mark.parametrize("postcard_id", ["cd" * 16, "not-an-id", "AB" * 16, "ab" * 17])
    def test_unknown_or_malformed_id_is_404(self, api: ApiClient, postcard_id: str) -> None:
        reply = api.get(f"/v1/postcards/{postcard_id}")

        assert reply.status == 404
        assert reply.error["code"] == "not_found"


class TestPhotoJoin:
    """A postcard shows its upload's status and thumbnail whichever was written first."""

    def test_thumbnail_made_after_the_postcard_shows_up_on_read(self, api: ApiClient, tables: Any) -> None:
        tables.put_upload(UPLOAD_ID, "pending")
        created = api.post("/v1/postcards", {"author": "Ann", "message": "Hi", "upload_id": UPLOAD_ID})
        assert created.json["photo"] == {"upload_id": UPLOAD_ID, "status": "pending", "thumbnail_url": None}

        tables.mark_ready(UPLOAD_ID)

        expected = {
            "upload_id": UPLOAD_ID,
            "status": "ready",
            "thumbnail_url": f"https://www.example.test/media/thumbnails/{UPLOAD_ID}.webp",
        }
        assert api.get(created.headers["location"]).json["photo"] == expected
        assert api.get("/v1/postcards").json["items"][0]["photo"] == expected

    def test_thumbnail_made_before_the_postcard_shows_on_creation(self, api: ApiClient, tables: Any) -> None:
        tables.put_upload(UPLOAD_ID, "pending")
        tables.mark_ready(UPLOAD_ID)

        created = api.post("/v1/postcards", {"author": "Ann", "message": "Hi", "upload_id": UPLOAD_ID})

        assert created.json["photo"]["status"] == "ready"
        assert created.json["photo"]["thumbnail_url"].endswith(f"/media/thumbnails/{UPLOAD_ID}.webp")

    def test_an_upload_that_failed_or_was_removed_later_reads_as_failed(
        self, api: ApiClient, tables: Any
    ) -> None:
        other = "cd" * 16
        tables.put_upload(UPLOAD_ID, "pending")
        tables.put_upload(other, "pending")
        first = api.post("/v1/postcards", {"author": "A", "message": "1", "upload_id": UPLOAD_ID})
        second = api.post("/v1/postcards", {"author": "B", "message": "2", "upload_id": other})

        tables.put_upload(UPLOAD_ID, "failed", reason="not an image", postcard_id=first.json["id"])
        tables.delete_upload(other)

        items = {item["id"]: item["photo"] for item in api.get("/v1/postcards").json["items"]}
        assert items[first.json["id"]] == {"upload_id": UPLOAD_ID, "status": "failed", "thumbnail_url": None}
        assert items[second.json["id"]] == {"upload_id": other, "status": "failed", "thumbnail_url": None}

    def test_postcards_without_photo_have_photo_null_and_no_upload_read(
        self, api: ApiClient, monkeypatch: Any
    ) -> None:
        write_postcards(api, 2)
        from common import aws

        def no_batch(**_: Any) -> Any:
            raise AssertionError("no upload to read")

        monkeypatch.setattr(aws.dynamodb(), "batch_get_item", no_batch)

        assert [item["photo"] for item in api.get("/v1/postcards").json["items"]] == [None, None]

    def test_many_photos_are_read_in_one_batch(self, api: ApiClient, tables: Any, monkeypatch: Any) -> None:
        upload_ids = [f"{number:032x}" for number in range(1, 6)]
        for upload_id in upload_ids:
            tables.put_upload(upload_id, "ready", thumbnail_key=f"thumbnails/{upload_id}.webp")
            api.post("/v1/postcards", {"author": "A", "message": "m", "upload_id": upload_id})
        from common import aws

        client = aws.dynamodb()
        batches: list[int] = []
        original = client.batch_get_item

        def counting(**kwargs: Any) -> Any:
            batches.append(sum(len(request["Keys"]) for request in kwargs["RequestItems"].values()))
            return original(**kwargs)

        monkeypatch.setattr(client, "batch_get_item", counting)

        items = api.get("/v1/postcards").json["items"]

        assert batches == [5]
        assert {item["photo"]["status"] for item in items} == {"ready"}


class TestUnprocessedKeys:
    def _stub_batches(self, monkeypatch: Any, responses: list[dict[str, Any]]) -> list[dict[str, Any]]:
        from common import aws
        from postcards import upload_store

        monkeypatch.setattr(upload_store, "_BACKOFF_SECONDS", 0)
        client = aws.dynamodb()
        original = client.batch_get_item
        requests: list[dict[str, Any]] = []

        def stubbed(**kwargs: Any) -> Any:
            requests.append(kwargs["RequestItems"])
            if responses:
                return responses.pop(0)
            return original(**kwargs)

        monkeypatch.setattr(client, "batch_get_item", stubbed)
        return requests

    def test_unprocessed_keys_are_retried(self, api: ApiClient, tables: Any, monkeypatch: Any) -> None:
        tables.put_upload(UPLOAD_ID, "pending")
        api.post("/v1/postcards", {"author": "A", "message": "m", "upload_id": UPLOAD_ID})
        table = "postcards-test-uploads"
        unprocessed = {table: {"Keys": [{"id": {"S": UPLOAD_ID}}], "ConsistentRead": True}}
        requests = self._stub_batches(
            monkeypatch, [{"Responses": {table: []}, "UnprocessedKeys": unprocessed}]
        )

        reply = api.get("/v1/postcards")

        assert reply.status == 200
        assert reply.json["items"][0]["photo"]["status"] == "pending"
        assert len(requests) == 2
        assert requests[1] == unprocessed

    def test_keys_unprocessed_every_time_give_503(
        self, api: ApiClient, tables: Any, monkeypatch: Any
    ) -> None:
        tables.put_upload(UPLOAD_ID, "pending")
        api.post("/v1/postcards", {"author": "A", "message": "m", "upload_id": UPLOAD_ID})
        table = "postcards-test-uploads"
        unprocessed = {table: {"Keys": [{"id": {"S": UPLOAD_ID}}]}}
        throttled = {"Responses": {}, "UnprocessedKeys": unprocessed}
        requests = self._stub_batches(monkeypatch, [throttled] * 10)

        reply = api.get("/v1/postcards")

        assert reply.status == 503
        assert reply.headers["retry-after"] == "1"
        assert reply.error["code"] == "service_unavailable"
        assert len(requests) == 4  # bounded retries

"""Writing postcards: validation, the upload claim, and Idempotency-Key retries."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from postcards import idempotency
from postcards.errors import MAX_DETAILS, ApiError
from tests.unit.lambda_context import FakeLambdaContext
from tests.unit.postcards.api_client import ApiClient, rest_event

UPLOAD_ID = "ab" * 16
VALID = {"author": "Ann", "message": "Greetings from the seaside"}


def test_created_postcard_is_201_with_location_and_stored(api: ApiClient, tables: Any) -> None:
    reply = api.post("/v1/postcards", VALID)

    assert reply.status == 201
    card = reply.json
    assert reply.headers["location"] == f"/v1/postcards/{card['id']}"
    assert len(card["id"]) == 32
    assert card["author"] == "Ann"
    assert card["message"] == "Greetings from the seaside"
    assert card["photo"] is None
    assert card["stamp"] is None
    assert card["created_at"].endswith("+00:00")
    [item] = tables.postcards()
    assert item["id"]["S"] == card["id"]
    assert item["feed"]["S"] == "all"
    assert item["feed_key"]["S"] == f"{card['created_at']}#{card['id']}"
    assert "upload_id" not in item
    assert "stamp" not in item


def test_location_keeps_the_stage_when_called_through_the_stage_url(api: ApiClient) -> None:
    event = rest_event(
        "POST",
        "/v1/postcards",
        headers={"Content-Type": "application/json"},
        body=json.dumps(VALID),
        via_stage_url=True,
    )

    reply = api.send(event)

    assert reply.status == 201
    assert reply.headers["location"] == f"/live/v1/postcards/{reply.json['id']}"


def test_location_is_the_route_path_when_the_event_has_no_request_path(api: ApiClient) -> None:
    event = rest_event(
        "POST", "/v1/postcards", headers={"Content-Type": "application/json"}, body=json.dumps(VALID)
    )
    del event["requestContext"]["path"]

    reply = api.send(event)

    assert reply.headers["location"] == f"/v1/postcards/{reply.json['id']}"


def test_text_is_normalised_before_it_is_stored(api: ApiClient) -> None:
    reply = api.post(
        "/v1/postcards",
        {"author": "  Ann \t  Lee\u00a0 ", "message": "  Dear Bob,  \r\n\r\nwish you were here.\t\n  "},
    )

    assert reply.status == 201
    assert reply.json["author"] == "Ann Lee"
    assert reply.json["message"] == "Dear Bob,\n\nwish you were here."


def test_a_line_break_around_a_one_line_field_is_trimmed_not_refused(api: ApiClient) -> None:
    # What the OpenAPI pattern admits ("$" matches before a final "\n"), the function accepts.
    reply = api.post("/v1/postcards", {"author": "Ann\n", "message": "hi"})

    assert reply.status == 201
    assert reply.json["author"] == "Ann"


def test_right_to_left_marks_are_ordinary_text(api: ApiClient) -> None:
    reply = api.post("/v1/postcards", {"author": "\u200f\u05e9\u05dc\u05d5\u05dd", "message": "\u061chi"})

    assert reply.status == 201
    assert reply.json["author"] == "\u200f\u05e9\u05dc\u05d5\u05dd"


def test_length_counts_characters_after_unicode_normalisation(api: ApiClient) -> None:
    # 40 "é" written as e + combining accent (80 code points) are 40 characters once composed;
    # 280 emoji are 280 characters although they are 1120 UTF-8 bytes.
    reply = api.post("/v1/postcards", {"author": "e\u0301" * 40, "message": "\U0001f600" * 280})

    assert reply.status == 201
    assert reply.json["author"] == "\u00e9" * 40
    assert len(reply.json["message"]) == 280


def test_upload_id_null_means_no_photo(api: ApiClient) -> None:
    reply = api.post("/v1/postcards", {**VALID, "upload_id": None})

    assert reply.status == 201
    assert reply.json["photo"] is None


class TestStamp:
    def test_the_picked_stamp_is_stored_and_returned_by_create_get_and_the_feed(
        self, api: ApiClient, tables: Any
    ) -> None:
        # Given a postcard sent with a stamp id as the container API gives them
        created = api.post("/v1/postcards", {**VALID, "stamp": "alpine-meadow"})

        # When it is read back one by one and in the feed
        one = api.get(created.headers["location"])
        feed = api.get("/v1/postcards")

        # Then the stamp is on the item and in every answer
        assert created.status == 201
        assert created.json["stamp"] == "alpine-meadow"
        [item] = tables.postcards()
        assert item["stamp"] == {"S": "alpine-meadow"}
        assert one.json == created.json
        assert feed.json["items"] == [created.json]

    def test_a_stamp_unknown_to_the_container_api_is_kept_as_sent(self, api: ApiClient, tables: Any) -> None:
        # The id is not looked up: the container API may be down, or know stamps the site has not seen.
        reply = api.post("/v1/postcards", {**VALID, "stamp": "x" * 40})

        assert reply.status == 201
        assert reply.json["stamp"] == "x" * 40
        assert tables.postcards()[0]["stamp"] == {"S": "x" * 40}

    def test_stamp_null_means_no_stamp(self, api: ApiClient, tables: Any) -> None:
        reply = api.post("/v1/postcards", {**VALID, "stamp": None})

        assert reply.status == 201
        assert reply.json["stamp"] is None
        assert "stamp" not in tables.postcards()[0]

    def test_a_stamp_and_a_photo_go_together(self, api: ApiClient, tables: Any) -> None:
        tables.put_upload(UPLOAD_ID, "pending")

        reply = api.post("/v1/postcards", {**VALID, "upload_id": UPLOAD_ID, "stamp": "night-train"})

        assert reply.status == 201
        assert reply.json["stamp"] == "night-train"
        assert reply.json["photo"]["upload_id"] == UPLOAD_ID

    def test_a_retry_with_the_same_key_and_stamp_replays_and_another_stamp_is_409(
        self, api: ApiClient, tables: Any
    ) -> None:
        # Given a keyed postcard sent with a stamp
        headers: dict[str, str | list[str]] = {"Idempotency-Key": "stamped-1"}
        first = api.post("/v1/postcards", {**VALID, "stamp": "lighthouse"}, headers=headers)

        # When it is retried as is, and then with the same key but another stamp
        retry = api.post("/v1/postcards", {**VALID, "stamp": "lighthouse"}, headers=headers)
        changed = api.post("/v1/postcards", {**VALID, "stamp": "night-train"}, headers=headers)

        # Then the retry answers the first card again, the changed body is refused, one card is stored
        assert retry.headers["idempotent-replayed"] == "true"
        assert retry.body == first.body
        assert changed.status == 409
        assert changed.error["code"] == "idempotency_key_reused"
        assert [item["stamp"]["S"] for item in tables.postcards()] == ["lighthouse"]


@pytest.mark.parametrize(
    "content_type",
    ["Application/JSON; charset=UTF-8", 'application/json;charset="utf-8"', "application/json; v=1"],
)
def test_json_with_parameters_is_accepted(api: ApiClient, content_type: str) -> None:
    reply = api.post("/v1/postcards", VALID, headers={"Content-Type": content_type})

    assert reply.status == 201


def test_base64_encoded_body_is_read(api: ApiClient) -> None:
    reply = api.request(
        "POST",
        "/v1/postcards",
        body=json.dumps(VALID).encode(),
        headers={"Content-Type": "application/json"},
    )

    assert reply.status == 201


class TestValidation:
    @pytest.mark.parametrize(
        ("body", "field", "message"),
        [
            ({"message": "hi"}, "author", "is required"),
            ({"author": "Ann"}, "message", "is required"),
            ({**VALID, "mood": "happy"}, "mood", "unknown field"),
            ({**VALID, "author": 42}, "author", "must be a string, got number"),
            ({**VALID, "author": None}, "author", "must be a string, got null"),
            ({**VALID, "message": ["hi"]}, "message", "must be a string, got array"),
            ({**VALID, "message": {"text": "hi"}}, "message", "must be a string, got object"),
            ({**VALID, "message": True}, "message", "must be a string, got boolean"),
            ({**VALID, "author": ""}, "author", "must not be empty"),
            ({**VALID, "author": " \t\u00a0"}, "author", "must not be empty"),
            ({**VALID, "message": "\n\n  \r\n"}, "message", "must not be empty"),
            ({**VALID, "author": "a" * 41}, "author", "at most 40 characters, got 41"),
            ({**VALID, "message": "m" * 281}, "message", "at most 280 characters, got 281"),
            ({**VALID, "author": "Ann\nLee"}, "author", "must be a single line"),
            ({**VALID, "message": "bell\u0007"}, "message", "control character (U+0007)"),
            ({**VALID, "author": "nul\u0000"}, "author", "control character (U+0000)"),
            ({**VALID, "author": "Ann\u202egpj.exe"}, "author", "bidirectional control character (U+202E)"),
            ({**VALID, "message": "\u2066hi\u2069"}, "message", "bidirectional control character (U+2066)"),
            ({**VALID, "upload_id": 12}, "upload_id", "must be an upload id"),
            ({**VALID, "upload_id": "../../etc"}, "upload_id", "must be an upload id"),
            ({**VALID, "upload_id": "AB" * 16}, "upload_id", "must be an upload id"),
            ({**VALID, "upload_id": "ab" * 16 + "\n"}, "upload_id", "must be an upload id"),
            ({**VALID, "stamp": 7}, "stamp", "must be a string, got number"),
            ({**VALID, "stamp": ["alpine-meadow"]}, "stamp", "must be a string, got array"),
            ({**VALID, "stamp": ""}, "stamp", "must be a stamp id"),
            ({**VALID, "stamp": "Alpine-Meadow"}, "stamp", "must be a stamp id"),
            ({**VALID, "stamp": "alpine meadow"}, "stamp", "must be a stamp id"),
            ({**VALID, "stamp": "-alpine"}, "stamp", "must be a stamp id"),
            ({**VALID, "stamp": "../../etc"}, "stamp", "must be a stamp id"),
            ({**VALID, "stamp": "<img src=x>"}, "stamp", "must be a stamp id"),
            ({**VALID, "stamp": "x" * 41}, "stamp", "must be a stamp id"),
            ({**VALID, "stamp": "alpine-meadow\n"}, "stamp", "must be a stamp id"),
        ],
    )
    def test_invalid_field_is_422_naming_the_field(
        self, api: ApiClient, tables: Any, body: dict[str, Any], field: str, message: str
    ) -> None:
        reply = api.post("/v1/postcards", body)

        assert reply.status == 422
        error = reply.error
        assert error["code"] == "validation_error"
        [detail] = [detail for detail in error["details"] if detail["field"] == field]
        assert message in detail["message"]
        assert f"{field}: " in error["message"]
        assert tables.postcards() == []

    def test_every_problem_is_reported_at_once(self, api: ApiClient) -> None:
        reply = api.post("/v1/postcards", {"author": "", "extra": 1})

        assert reply.status == 422
        assert {detail["field"] for detail in reply.error["details"]} == {"author", "extra", "message"}

    def test_a_body_of_many_unknown_fields_is_not_echoed_whole(self, api: ApiClient, tables: Any) -> None:
        # Given a valid postcard with 30 fields the API does not know
        body = {**VALID, **{f"field{n:02}": n for n in range(30)}}

        # When it is sent
        reply = api.post("/v1/postcards", body)

        # Then the 422 names the first MAX_DETAILS problems, counts the rest, and nothing is stored
        assert reply.status == 422
        assert len(reply.error["details"]) == MAX_DETAILS
        assert reply.error["message"].endswith(f"; and {30 - MAX_DETAILS} more")
        assert tables.postcards() == []

    def test_lone_surrogate_is_422_not_500(self, api: ApiClient, tables: Any) -> None:
        body = '{"author": "Ann \\ud800", "message": "hi"}'

        reply = api.request("POST", "/v1/postcards", body=body, headers={"Content-Type": "application/json"})

        assert reply.status == 422
        assert "surrogate" in reply.error["message"]
        assert tables.postcards() == []

    @pytest.mark.parametrize("body", ["[]", '"text"', "null", "42"])
    def test_a_body_that_is_not_an_object_is_422(self, api: ApiClient, body: str) -> None:
        reply = api.request("POST", "/v1/postcards", body=body, headers={"Content-Type": "application/json"})

        assert reply.status == 422
        assert reply.error["details"][0]["field"] == "body"


class TestBodyFormat:
    @pytest.mark.parametrize(
        "content_type",
        [None, "text/plain", "application/x-www-form-urlencoded", "application/json; charset=latin-1"],
    )
    def test_wrong_content_type_is_415(self, api: ApiClient, content_type: str | None) -> None:
        headers: dict[str, str | list[str]] = {"Content-Type": content_type} if content_type else {}

        reply = api.request("POST", "/v1/postcards", body=json.dumps(VALID), headers=headers)

        assert reply.status == 415
        assert reply.error["code"] == "unsupported_media_type"

    def test_oversized_body_is_413(self, api: ApiClient) -> None:
        reply = api.post("/v1/postcards", {**VALID, "message": "m" * 17_000})

        assert reply.status == 413
        assert reply.error["code"] == "payload_too_large"
        assert "16384" in reply.error["message"]

    @pytest.mark.parametrize(
        ("body", "hint"),
        [
            ("{", "not valid JSON"),
            ("", "empty"),
            (None, "empty"),
            ("   ", "empty"),
            ('{"author": "a", "author": "b", "message": "m"}', "repeats the key 'author'"),
            ('{"author": "a", "message": NaN}', "NaN"),
            (b'{"author": "\xff", "message": "m"}', "UTF-8"),
        ],
    )
    def test_malformed_json_is_400(self, api: ApiClient, body: str | bytes | None, hint: str) -> None:
        reply = api.request("POST", "/v1/postcards", body=body, headers={"Content-Type": "application/json"})

        assert reply.status == 400
        assert reply.error["code"] == "invalid_json"
        assert hint in reply.error["message"]

    def test_nesting_beyond_the_parser_is_400(self, api: ApiClient, monkeypatch: Any) -> None:
        # Within the 16 KiB limit Python's parser copes with any nesting; past its depth (reachable
        # only with a larger limit) the answer must still be a 400, not a RecursionError's 500.
        from postcards import request_body

        monkeypatch.setattr(request_body, "MAX_BODY_BYTES", 1_000_000)
        body = "[" * 100_000 + "]" * 100_000

        reply = api.request("POST", "/v1/postcards", body=body, headers={"Content-Type": "application/json"})

        assert reply.status == 400
        assert "nested too deeply" in reply.error["message"]

    def test_invalid_base64_body_is_400(self, api: ApiClient) -> None:
        event = api_event_with_raw_base64("not*base64")

        reply = api.send(event)

        assert reply.status == 400
        assert "base64" in reply.error["message"]


def api_event_with_raw_base64(body: str) -> dict[str, Any]:
    event = rest_event("POST", "/v1/postcards", headers={"Content-Type": "application/json"}, body=body)
    event["isBase64Encoded"] = True
    return event


class TestUploadClaim:
    def test_postcard_claims_its_upload(self, api: ApiClient, tables: Any) -> None:
        tables.put_upload(UPLOAD_ID, "pending")

        reply = api.post("/v1/postcards", {**VALID, "upload_id": UPLOAD_ID})

        assert reply.status == 201
        assert reply.json["photo"] == {"upload_id": UPLOAD_ID, "status": "pending", "thumbnail_url": None}
        assert tables.upload(UPLOAD_ID)["postcard_id"]["S"] == reply.json["id"]
        assert tables.postcards()[0]["upload_id"]["S"] == UPLOAD_ID

    def test_an_upload_is_claimed_at_most_once(self, api: ApiClient, tables: Any) -> None:
        tables.put_upload(UPLOAD_ID, "ready")
        first = api.post("/v1/postcards", {**VALID, "upload_id": UPLOAD_ID})

        second = api.post("/v1/postcards", {"author": "Bob", "message": "mine!", "upload_id": UPLOAD_ID})

        assert second.status == 409
        assert second.error["code"] == "upload_already_claimed"
        assert [item["id"]["S"] for item in tables.postcards()] == [first.json["id"]]
        assert tables.upload(UPLOAD_ID)["postcard_id"]["S"] == first.json["id"]

    def test_unknown_upload_is_422_and_nothing_is_stored(self, api: ApiClient, tables: Any) -> None:
        reply = api.post("/v1/postcards", {**VALID, "upload_id": UPLOAD_ID})

        assert reply.status == 422
        assert reply.error["code"] == "upload_not_found"
        assert tables.postcards() == []
        assert tables.uploads() == []

    def test_failed_upload_is_422_and_nothing_changes(self, api: ApiClient, tables: Any) -> None:
        tables.put_upload(UPLOAD_ID, "failed", reason="not an image")

        reply = api.post("/v1/postcards", {**VALID, "upload_id": UPLOAD_ID})

        assert reply.status == 422
        assert reply.error["code"] == "upload_failed"
        assert tables.postcards() == []
        assert "postcard_id" not in tables.upload(UPLOAD_ID)

    def test_a_concurrent_claim_is_409_with_retry_after(self, api: ApiClient, monkeypatch: Any) -> None:
        cancel_transaction(monkeypatch, [{"Code": "None"}, {"Code": "TransactionConflict"}])

        reply = api.post("/v1/postcards", {**VALID, "upload_id": UPLOAD_ID})

        assert reply.status == 409
        assert reply.error["code"] == "upload_claim_contended"
        assert reply.headers["retry-after"] == "1"

    def test_a_cancellation_not_about_the_upload_is_a_500(self, api: ApiClient, monkeypatch: Any) -> None:
        cancel_transaction(monkeypatch, [{"Code": "ConditionalCheckFailed"}, {"Code": "None"}])

        reply = api.post("/v1/postcards", {**VALID, "upload_id": UPLOAD_ID})

        assert reply.status == 500
        assert reply.error["code"] == "internal_error"


def cancel_transaction(monkeypatch: Any, reasons: list[dict[str, Any]]) -> None:
    from common import aws

    def cancelled(**_: Any) -> Any:
        raise ClientError(
            {
                "Error": {"Code": "TransactionCanceledException", "Message": "cancelled"},
                "CancellationReasons": reasons,
            },
            "TransactWriteItems",
        )

    monkeypatch.setattr(aws.dynamodb(), "transact_write_items", cancelled)


class TestIdempotency:
    def test_same_key_same_body_replays_the_response_and_stores_one_postcard(
        self, api: ApiClient, tables: Any
    ) -> None:
        headers: dict[str, str | list[str]] = {"Idempotency-Key": "order-1234"}

        first = api.post("/v1/postcards", VALID, headers=headers)
        second = api.post("/v1/postcards", VALID, headers=headers)

        assert first.status == second.status == 201
        assert second.body == first.body
        assert second.headers["location"] == first.headers["location"]
        assert "idempotent-replayed" not in first.headers
        assert second.headers["idempotent-replayed"] == "true"
        assert len(tables.postcards()) == 1

    def test_same_key_same_json_in_another_key_order_is_the_same_request(
        self, api: ApiClient, tables: Any
    ) -> None:
        headers: dict[str, str | list[str]] = {"Idempotency-Key": "k-1"}

        first = api.post("/v1/postcards", {"author": "A", "message": "B"}, headers=headers)
        second = api.post("/v1/postcards", {"message": "B", "author": "A"}, headers=headers)

        assert second.status == 201
        assert second.json["id"] == first.json["id"]
        assert len(tables.postcards()) == 1

    def test_same_key_different_body_is_409_and_stores_nothing_more(
        self, api: ApiClient, tables: Any
    ) -> None:
        headers: dict[str, str | list[str]] = {"Idempotency-Key": "k-2"}
        api.post("/v1/postcards", VALID, headers=headers)

        reply = api.post("/v1/postcards", {**VALID, "message": "something else"}, headers=headers)

        assert reply.status == 409
        assert reply.error["code"] == "idempotency_key_reused"
        assert len(tables.postcards()) == 1

    def test_without_a_key_every_request_writes(self, api: ApiClient, tables: Any) -> None:
        api.post("/v1/postcards", VALID)
        api.post("/v1/postcards", VALID)

        assert len(tables.postcards()) == 2
        assert tables.idempotency_records() == []

    def test_different_keys_are_different_requests(self, api: ApiClient, tables: Any) -> None:
        api.post("/v1/postcards", VALID, headers={"Idempotency-Key": "a"})
        api.post("/v1/postcards", VALID, headers={"Idempotency-Key": "b"})

        assert len(tables.postcards()) == 2

    def test_a_failed_request_is_not_remembered(self, api: ApiClient, tables: Any) -> None:
        # Given a keyed request refused because its upload does not exist yet
        headers: dict[str, str | list[str]] = {"Idempotency-Key": "k-3"}
        body = {**VALID, "upload_id": UPLOAD_ID}
        assert api.post("/v1/postcards", body, headers=headers).status == 422
        assert tables.idempotency_records() == []

        # When the upload exists and the client retries with the same key
        tables.put_upload(UPLOAD_ID, "pending")
        reply = api.post("/v1/postcards", body, headers=headers)

        # Then the retry runs for real
        assert reply.status == 201
        assert len(tables.postcards()) == 1

    def test_invalid_input_with_a_key_stores_no_record(self, api: ApiClient, tables: Any) -> None:
        reply = api.post("/v1/postcards", {"author": ""}, headers={"Idempotency-Key": "k-4"})

        assert reply.status == 422
        assert tables.idempotency_records() == []

    @pytest.mark.parametrize("key", ["", "x" * 256, "has space", "caf\u00e9", "trailing-newline\n"])
    def test_malformed_key_is_400(self, api: ApiClient, tables: Any, key: str) -> None:
        reply = api.post("/v1/postcards", VALID, headers={"Idempotency-Key": key})

        assert reply.status == 400
        assert reply.error["code"] == "invalid_idempotency_key"
        assert tables.postcards() == []

    def test_a_rerun_with_a_photo_after_a_died_write_is_not_refused_as_a_claimed_upload(
        self, api: ApiClient, tables: Any
    ) -> None:
        tables.put_upload(UPLOAD_ID, "pending")
        headers: dict[str, str | list[str]] = {"Idempotency-Key": "died-2"}
        body = {**VALID, "upload_id": UPLOAD_ID}
        first = api.post("/v1/postcards", body, headers=headers)
        for record in tables.idempotency_records():  # the attempt died: its record expired
            tables.delete_idempotency_record(record)

        again = api.post("/v1/postcards", body, headers=headers)

        assert again.status == 201
        assert again.json["id"] == first.json["id"]
        assert len(tables.postcards()) == 1

    def test_a_repeat_while_the_first_is_running_is_409_retry_later(self, stack: Any) -> None:
        # Given the first request with a key is still running when its repeat arrives
        context = FakeLambdaContext()
        body = {"author": "A", "message": "m"}
        seen: list[ApiError] = []

        def first_operation() -> dict[str, Any]:
            try:
                idempotency.run_once("test", "key", body, lambda: {"never": True}, context)
            except ApiError as error:
                seen.append(error)
            return {"done": True}

        # When the repeat is handled
        result, replayed = idempotency.run_once("test", "key", body, first_operation, context)

        # Then the repeat is told to retry, and the first completes normally
        assert [(error.status, error.code, error.headers) for error in seen] == [
            (409, "request_in_progress", {"Retry-After": "1"})
        ]
        assert (result, replayed) == ({"done": True}, False)
        assert idempotency.run_once("test", "key", body, lambda: {"other": True}, context) == (
            {"done": True},
            True,
        )


class TestKeyedWritesUnderFaults:
    """What the chaos experiments found (tests/local/chaos): a keyed write must never be stored
    twice, even when an attempt dies after writing, or cannot record that it did."""

    def test_an_attempt_that_runs_again_after_writing_finds_its_postcard_and_writes_no_other(
        self, api: ApiClient, tables: Any
    ) -> None:
        # Given a keyed write whose first attempt stored the postcard and then died (its
        # idempotency record gone, as when it expires after the environment was killed)
        headers: dict[str, str | list[str]] = {"Idempotency-Key": "died-after-writing"}
        first = api.post("/v1/postcards", VALID, headers=headers)
        for record in tables.idempotency_records():
            tables.delete_idempotency_record(record)

        # When the client retries with the same key
        again = api.post("/v1/postcards", VALID, headers=headers)

        # Then it is told about the same postcard, and only that one is stored
        assert again.status == 201
        assert again.json["id"] == first.json["id"]
        assert again.json["created_at"] == first.json["created_at"]
        assert len(tables.postcards()) == 1

    def test_the_same_key_with_another_body_later_is_another_postcard(
        self, api: ApiClient, tables: Any
    ) -> None:
        headers: dict[str, str | list[str]] = {"Idempotency-Key": "reused-after-expiry"}
        first = api.post("/v1/postcards", VALID, headers=headers)
        for record in tables.idempotency_records():
            tables.delete_idempotency_record(record)

        other = api.post("/v1/postcards", {**VALID, "message": "another one"}, headers=headers)

        assert other.status == 201
        assert other.json["id"] != first.json["id"]
        assert len(tables.postcards()) == 2

    def test_a_write_whose_success_cannot_be_recorded_is_still_answered_201(
        self, api: ApiClient, tables: Any, monkeypatch: Any
    ) -> None:
        # Given DynamoDB throttling the update that marks the idempotency record complete
        from aws_lambda_powertools.utilities.idempotency.persistence import dynamodb as persistence

        def throttled(self: Any, data_record: Any) -> None:
            raise ClientError(
                {"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "slow down"}},
                "UpdateItem",
            )

        monkeypatch.setattr(persistence.DynamoDBPersistenceLayer, "_update_record", throttled)

        # When a keyed postcard is sent
        reply = api.post("/v1/postcards", VALID, headers={"Idempotency-Key": "unrecorded"})

        # Then the client learns it was written (no retry of a write that was made), once
        assert reply.status == 201
        assert len(tables.postcards()) == 1

"""The thumbnails function end to end on moto: S3 event in, upload item and objects out."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from PIL import Image

from common.uploads import MAX_UPLOAD_BYTES, thumbnail_key, upload_key
from tests.unit.emf import metric_values
from tests.unit.thumbnails.helpers import (
    REGION,
    Media,
    image_bytes,
    png_header_only,
    s3_event,
)

Invoke = Callable[[dict[str, Any]], dict[str, Any]]


def outcomes(created: int = 0, rejected: int = 0, stray_removed: int = 0, skipped: int = 0) -> dict[str, Any]:
    return {
        "outcomes": {
            "created": created,
            "rejected": rejected,
            "stray_removed": stray_removed,
            "skipped": skipped,
        }
    }


def upload(media: Media, body: bytes, content_type: str | None = "image/jpeg") -> tuple[str, dict[str, Any]]:
    """Given a pending upload slot whose object has just been POSTed; returns (id, S3 event)."""
    upload_id = media.new_slot(content_type)
    media.put(upload_key(upload_id), body)
    return upload_id, media.event(upload_key(upload_id))


def thumbnail_of(media: Media, upload_id: str) -> Image.Image:
    stored = media.get(thumbnail_key(upload_id))
    assert stored is not None, "no thumbnail written"
    return Image.open(io.BytesIO(stored["Body"].read()))


# --- good images -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "content_type", "mode"),
    [("JPEG", "image/jpeg", "RGB"), ("PNG", "image/png", "RGBA"), ("WEBP", "image/webp", "RGB")],
)
def test_an_allowed_image_gets_a_webp_thumbnail_and_the_upload_becomes_ready(
    media: Media, invoke: Invoke, capsys: pytest.CaptureFixture[str], fmt: str, content_type: str, mode: str
) -> None:
    # given a 1000x600 image POSTed into a pending slot declared with its real type
    upload_id, event = upload(media, image_bytes(fmt, (1000, 600), mode), content_type)

    # when S3 notifies the function
    result = invoke(event)

    # then a 320 px WebP thumbnail is stored with browser-friendly headers
    assert result == outcomes(created=1)
    stored = media.get(thumbnail_key(upload_id))
    assert stored is not None
    assert stored["ContentType"] == "image/webp"
    assert "max-age=" in stored["CacheControl"]
    thumb = Image.open(io.BytesIO(stored["Body"].read()))
    assert (thumb.format, thumb.size) == ("WEBP", (320, 192))
    assert thumb.mode == ("RGBA" if mode == "RGBA" else "RGB")
    # and the upload is ready with the thumbnail's key and size
    item = media.item(upload_id)
    assert item is not None
    assert item["status"] == "ready"
    assert item["thumbnail_key"] == thumbnail_key(upload_id)
    assert (item["width"], item["height"]) == ("320", "192")
    assert item["updated_at"] >= item["created_at"]
    assert "reason" not in item
    # and the original stays for the postcard that will claim it
    assert media.exists(upload_key(upload_id))
    # and the success is counted
    assert metric_values(capsys.readouterr().out)["ThumbnailsCreated"] == 1


def test_a_small_image_is_not_enlarged(media: Media, invoke: Invoke) -> None:
    upload_id, event = upload(media, image_bytes("PNG", (120, 80)), "image/png")

    invoke(event)

    assert thumbnail_of(media, upload_id).size == (120, 80)


def test_exif_orientation_is_applied_and_all_metadata_is_stripped(media: Media, invoke: Invoke) -> None:
    # given a 400x200 JPEG (red left half, blue right half) whose EXIF says "rotate 90° clockwise
    # to display" (orientation 6), plus camera make and a GPS position
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation
    exif[0x010F] = "ExampleCam"  # Make
    exif[0x8825] = {1: "N", 2: (52.0, 22.0, 0.0)}  # GPSInfo
    body = image_bytes("JPEG", (400, 200), exif=exif.tobytes(), comment=b"secret note")
    upload_id, event = upload(media, body, "image/jpeg")

    # when it is processed
    invoke(event)

    # then the thumbnail is upright: portrait, with the left (red) edge now on top
    thumb = thumbnail_of(media, upload_id).convert("RGB")
    assert thumb.size == (160, 320)
    top, bottom = thumb.getpixel((80, 20)), thumb.getpixel((80, 300))
    assert isinstance(top, tuple)
    assert isinstance(bottom, tuple)
    assert top[0] > 200 > top[2], f"top should be red, got {top}"
    assert bottom[2] > 200 > bottom[0], f"bottom should be blue, got {bottom}"
    # and the recorded size is the upright one
    item = media.item(upload_id)
    assert item is not None
    assert (item["width"], item["height"]) == ("160", "320")
    # and no metadata survives: no EXIF (so no GPS, no orientation), XMP, comment or profile
    raw = thumbnail_of(media, upload_id)
    assert len(raw.getexif()) == 0
    assert not {"exif", "xmp", "comment", "icc_profile"} & set(raw.info)


def test_an_upload_slot_without_a_declared_type_accepts_any_allowed_format(
    media: Media, invoke: Invoke
) -> None:
    upload_id, event = upload(media, image_bytes("WEBP"), content_type=None)

    assert invoke(event) == outcomes(created=1)
    item = media.item(upload_id)
    assert item is not None
    assert item["status"] == "ready"


def test_keys_in_the_event_are_url_decoded(
    media: Media, invoke: Invoke, caplog: pytest.LogCaptureFixture
) -> None:
    # given an event for a key with a space, which S3 sends as '+'
    event = s3_event(media.stack.media_bucket, "uploads/holiday photo.jpg", 10)
    assert event["Records"][0]["s3"]["object"]["key"] == "uploads/holiday+photo.jpg"

    # when it is processed
    assert invoke(event) == outcomes(skipped=1)

    # then the log names the real key
    assert any(getattr(record, "key", None) == "uploads/holiday photo.jpg" for record in caplog.records)


# --- bad files ---------------------------------------------------------------------------------


def assert_rejected(media: Media, upload_id: str, reason_part: str) -> None:
    item = media.item(upload_id)
    assert item is not None
    assert item["status"] == "failed"
    assert reason_part in item["reason"]
    assert "updated_at" in item
    assert "thumbnail_key" not in item
    assert not media.exists(upload_key(upload_id)), "a rejected file must be removed"
    assert not media.exists(thumbnail_key(upload_id))


@pytest.mark.parametrize(
    ("body", "content_type", "reason_part"),
    [
        pytest.param(
            b"<html><script>alert(1)</script></html>", "image/jpeg", "not a JPEG, PNG or WebP", id="html"
        ),
        pytest.param(b"", "image/png", "not a JPEG, PNG or WebP", id="empty"),
        pytest.param(image_bytes("GIF", (50, 50)), "image/png", "not a JPEG, PNG or WebP", id="gif"),
        pytest.param(image_bytes("BMP", (50, 50)), "image/png", "not a JPEG, PNG or WebP", id="bmp"),
        pytest.param(image_bytes("JPEG")[:400], "image/jpeg", "damaged or incomplete", id="truncated-jpeg"),
        pytest.param(image_bytes("PNG")[:60], "image/png", "damaged or incomplete", id="truncated-png"),
        pytest.param(
            b"\x89PNG\r\n\x1a\n" + b"\x00" * 40,
            "image/png",
            "not a JPEG, PNG or WebP",
            id="garbage-after-png-magic",
        ),
        pytest.param(
            image_bytes("PNG"), "image/jpeg", "PNG image but was declared as image/jpeg", id="png-as-jpeg"
        ),
        pytest.param(
            image_bytes("JPEG"), "image/webp", "JPEG image but was declared as image/webp", id="jpeg-as-webp"
        ),
    ],
)
def test_a_file_that_is_not_an_acceptable_image_is_recorded_failed_and_removed(
    media: Media,
    invoke: Invoke,
    capsys: pytest.CaptureFixture[str],
    body: bytes,
    content_type: str,
    reason_part: str,
) -> None:
    # given a pending slot holding a bad file
    upload_id, event = upload(media, body, content_type)

    # when S3 notifies the function: it does not raise
    result = invoke(event)

    # then the upload is failed with a reason a person can read, and the file is gone
    assert result == outcomes(rejected=1)
    assert_rejected(media, upload_id, reason_part)
    assert metric_values(capsys.readouterr().out)["UploadsRejected"] == 1


@pytest.mark.parametrize(
    ("width", "height"),
    [
        pytest.param(100_000, 100_000, id="far-over-the-limit"),  # Pillow's DecompressionBombError
        pytest.param(7_000, 7_000, id="just-over-the-limit"),  # 49 MP: Pillow only warns; we refuse
    ],
)
def test_a_decompression_bomb_is_refused_before_decoding(
    media: Media, invoke: Invoke, width: int, height: int
) -> None:
    # given a 60-byte PNG that claims to be width x height pixels
    upload_id, event = upload(media, png_header_only(width, height), "image/png")

    # when it is processed
    assert invoke(event) == outcomes(rejected=1)

    # then it is refused for its pixel count
    assert_rejected(media, upload_id, "too many pixels")


def test_a_file_over_the_size_limit_is_refused_without_being_downloaded(
    media: Media, invoke: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given an event for an object larger than the limit
    upload_id = media.new_slot("image/jpeg")
    media.put(upload_key(upload_id), b"x" * 16)
    event = media.event(upload_key(upload_id), size=MAX_UPLOAD_BYTES + 1)
    from thumbnails import store

    def no_download(*args: object) -> None:
        raise AssertionError("an oversized object must not be downloaded")

    monkeypatch.setattr(store, "fetch_object", no_download)

    # when it is processed
    assert invoke(event) == outcomes(rejected=1)

    # then it is refused by size
    assert_rejected(media, upload_id, f"the limit is {MAX_UPLOAD_BYTES} bytes (5 MiB)")


def test_an_object_larger_than_its_event_says_is_refused_by_its_real_size(
    media: Media, invoke: Invoke
) -> None:
    # given an object over the limit, announced by an event that understates its size
    upload_id = media.new_slot("image/jpeg")
    media.put(upload_key(upload_id), image_bytes("JPEG", (64, 64)) + b"\0" * MAX_UPLOAD_BYTES)
    event = media.event(upload_key(upload_id), size=1000)

    # when it is processed
    assert invoke(event) == outcomes(rejected=1)

    # then the real size decides
    assert_rejected(media, upload_id, f"is {MAX_UPLOAD_BYTES + len(image_bytes('JPEG', (64, 64)))} bytes")


# --- repeats, strays and events that are not ours -----------------------------------------------


def test_the_same_event_twice_leaves_the_first_result(media: Media, invoke: Invoke) -> None:
    # given an image processed once
    upload_id, event = upload(media, image_bytes("JPEG"), "image/jpeg")
    assert invoke(event) == outcomes(created=1)
    first_item = media.item(upload_id)
    first_thumbnail = media.get(thumbnail_key(upload_id))
    assert first_thumbnail is not None

    # when S3 delivers the same event again
    result = invoke(event)

    # then nothing changes: same item (same updated_at), same thumbnail object, original kept
    assert result == outcomes(skipped=1)
    assert media.item(upload_id) == first_item
    again = media.get(thumbnail_key(upload_id))
    assert again is not None
    assert again["ETag"] == first_thumbnail["ETag"]
    assert again["LastModified"] == first_thumbnail["LastModified"]
    assert media.exists(upload_key(upload_id))


def test_a_rejected_file_event_twice_keeps_the_failure(media: Media, invoke: Invoke) -> None:
    # given a bad file, rejected and removed
    upload_id, event = upload(media, b"not an image", "image/png")
    assert invoke(event) == outcomes(rejected=1)
    first_item = media.item(upload_id)

    # when the event comes again (the object is gone now)
    assert invoke(event) == outcomes(skipped=1)

    # then the failure and its reason stand
    assert media.item(upload_id) == first_item


def test_a_ready_upload_stays_ready_when_its_object_is_gone(media: Media, invoke: Invoke) -> None:
    # given a ready upload whose original was since removed
    upload_id, event = upload(media, image_bytes("PNG"), "image/png")
    invoke(event)
    media.s3.delete_object(Bucket=media.stack.media_bucket, Key=upload_key(upload_id))
    ready_item = media.item(upload_id)

    # when a late duplicate of its event arrives
    assert invoke(event) == outcomes(skipped=1)

    # then it is still ready, never flipped to failed
    assert media.item(upload_id) == ready_item
    assert media.exists(thumbnail_key(upload_id))


@pytest.mark.parametrize("status", ["ready", "failed"])
def test_a_new_object_in_a_settled_slot_is_removed_unprocessed(
    media: Media, invoke: Invoke, capsys: pytest.CaptureFixture[str], status: str
) -> None:
    # given a settled upload, and a second POST with the same presigned form
    upload_id, event = upload(media, image_bytes("JPEG"), "image/jpeg")
    invoke(event)
    if status == "failed":
        media.ddb.update_item(
            TableName=media.stack.uploads_table,
            Key={"id": {"S": upload_id}},
            UpdateExpression="SET #s = :f, reason = :r",
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues={":f": {"S": "failed"}, ":r": {"S": "earlier failure"}},
        )
    settled = media.item(upload_id)
    media.put(upload_key(upload_id), image_bytes("JPEG", (900, 900)))
    capsys.readouterr()

    # when its event arrives
    assert invoke(media.event(upload_key(upload_id))) == outcomes(stray_removed=1)

    # then the new object is removed and the upload is unchanged
    assert not media.exists(upload_key(upload_id))
    assert media.item(upload_id) == settled
    assert metric_values(capsys.readouterr().out)["StrayObjectsRemoved"] == 1


def test_an_object_with_no_upload_slot_is_removed_and_no_item_is_created(
    media: Media, invoke: Invoke
) -> None:
    # Decision: an object under uploads/<id> whose id has no item was not uploaded through the API
    # (slots are written before their form is handed out) or its slot was already swept. Nothing can
    # ever claim it, so it is removed; no item is invented for it.
    unknown_id = "0" * 32
    media.put(upload_key(unknown_id), image_bytes("JPEG"))

    assert invoke(media.event(upload_key(unknown_id))) == outcomes(stray_removed=1)

    assert not media.exists(upload_key(unknown_id))
    assert not media.exists(thumbnail_key(unknown_id))
    assert media.item(unknown_id) is None


@pytest.mark.parametrize(
    "key",
    [
        "thumbnails/0123456789abcdef0123456789abcdef.webp",
        "uploads/not-an-upload-id",
        "uploads/",
        "other/file.jpg",
    ],
)
def test_a_key_that_is_not_an_upload_is_left_alone(media: Media, invoke: Invoke, key: str) -> None:
    # given an object that is not uploads/<id> (e.g. our own thumbnail, if the trigger were too wide)
    media.put(key, image_bytes("JPEG"))

    # when an event for it arrives
    assert invoke(media.event(key)) == outcomes(skipped=1)

    # then it is neither touched nor recorded
    assert media.exists(key)
    assert media.ddb.scan(TableName=media.stack.uploads_table)["Count"] == 0


def test_an_event_for_an_object_already_removed_is_a_no_op(media: Media, invoke: Invoke) -> None:
    # given a pending slot whose object was removed before its event was handled
    upload_id = media.new_slot("image/jpeg")
    event = s3_event(media.stack.media_bucket, upload_key(upload_id), 1000)

    assert invoke(event) == outcomes(skipped=1)

    item = media.item(upload_id)
    assert item is not None
    assert item["status"] == "pending"


def test_the_s3_test_event_and_non_create_events_are_ignored(media: Media, invoke: Invoke) -> None:
    # S3 sends this when a notification is configured; it has no Records.
    test_event = {"Service": "Amazon S3", "Event": "s3:TestEvent", "Bucket": media.stack.media_bucket}
    assert invoke(test_event) == outcomes()

    upload_id = media.new_slot()
    media.put(upload_key(upload_id), b"junk")
    removed = s3_event(media.stack.media_bucket, upload_key(upload_id), 4, event_name="ObjectRemoved:Delete")
    assert invoke(removed) == outcomes(skipped=1)
    item = media.item(upload_id)
    assert item is not None
    assert item["status"] == "pending"


def test_every_record_of_an_event_is_processed(media: Media, invoke: Invoke) -> None:
    good_id, good_event = upload(media, image_bytes("PNG"), "image/png")
    bad_id, bad_event = upload(media, b"nope", "image/png")
    event = {"Records": good_event["Records"] + bad_event["Records"]}

    assert invoke(event) == outcomes(created=1, rejected=1)

    assert media.item(good_id)["status"] == "ready"
    assert media.item(bad_id)["status"] == "failed"


# --- races and AWS faults ------------------------------------------------------------------------

# A run that raises publishes no outcome metrics; Powertools says so with a warning, as it should.
no_metrics_warning = pytest.mark.filterwarnings("ignore:No application metrics to publish:UserWarning")


def test_an_upload_settled_by_another_run_while_processing_keeps_that_result(
    media: Media, invoke: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given a pending upload that another run (for a second POST) marks ready while this one works
    upload_id, event = upload(media, image_bytes("JPEG"), "image/jpeg")
    from thumbnails import store

    real_put = store.put_thumbnail

    def put_then_lose_the_race(bucket: str, key: str, webp: bytes) -> None:
        real_put(bucket, key, webp)
        store.mark_ready(upload_id, thumbnail_key=key, width=1, height=1, etag="other-object")

    monkeypatch.setattr(store, "put_thumbnail", put_then_lose_the_race)

    # when this run finishes
    assert invoke(event) == outcomes(skipped=1)

    # then the other run's result stands
    item = media.item(upload_id)
    assert item is not None
    assert (item["status"], item["source_etag"], item["width"]) == ("ready", "other-object", "1")


def test_a_bad_file_in_an_upload_settled_meanwhile_is_not_touched(
    media: Media, invoke: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given a bad file whose upload another run settles as ready while this one reads it
    upload_id, event = upload(media, b"not an image", "image/jpeg")
    from thumbnails import store

    real_fetch = store.fetch_object

    def fetch_then_lose_the_race(bucket: str, key: str, max_bytes: int) -> store.StoredObject | None:
        fetched = real_fetch(bucket, key, max_bytes)
        store.mark_ready(upload_id, thumbnail_key="thumbnails/x.webp", width=1, height=1, etag="other")
        return fetched

    monkeypatch.setattr(store, "fetch_object", fetch_then_lose_the_race)

    assert invoke(event) == outcomes(skipped=1)

    # then the ready upload is not flipped to failed and its object is not removed here
    item = media.item(upload_id)
    assert item is not None
    assert item["status"] == "ready"
    assert media.exists(upload_key(upload_id))


@no_metrics_warning
def test_an_aws_fault_raises_so_lambda_retries(media: Media, invoke: Invoke) -> None:
    # given the uploads table is unavailable
    upload_id, event = upload(media, image_bytes("JPEG"), "image/jpeg")
    boto3.client("dynamodb", region_name=REGION).delete_table(TableName=media.stack.uploads_table)

    # when the event is processed, then the error reaches Lambda (async retry, on-failure destination)
    with pytest.raises(ClientError, match="ResourceNotFoundException"):
        invoke(event)

    # and nothing was decided: the object is still there for the retry
    assert media.exists(upload_key(upload_id))


@no_metrics_warning
def test_a_storage_fault_while_reading_raises(
    media: Media, invoke: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    upload_id, event = upload(media, image_bytes("JPEG"), "image/jpeg")
    from common import aws

    class BrokenS3:
        def get_object(self, **kwargs: object) -> None:
            raise ClientError(
                {"Error": {"Code": "SlowDown", "Message": "Please reduce your request rate."}}, "GetObject"
            )

        def head_object(self, **kwargs: object) -> None:
            raise ClientError({"Error": {"Code": "InternalError", "Message": "boom"}}, "HeadObject")

    monkeypatch.setattr(aws, "s3", BrokenS3)

    with pytest.raises(ClientError, match="SlowDown"):
        invoke(event)
    item = media.item(upload_id)
    assert item is not None
    assert item["status"] == "pending"


@no_metrics_warning
def test_a_storage_fault_while_checking_a_settled_slot_raises(
    media: Media, invoke: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, event = upload(media, image_bytes("JPEG"), "image/jpeg")
    invoke(event)
    from common import aws

    class BrokenS3:
        def head_object(self, **kwargs: object) -> None:
            raise ClientError({"Error": {"Code": "InternalError", "Message": "boom"}}, "HeadObject")

    monkeypatch.setattr(aws, "s3", BrokenS3)

    with pytest.raises(ClientError, match="InternalError"):
        invoke(event)


@no_metrics_warning
def test_a_database_fault_while_recording_raises(
    media: Media, invoke: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    upload_id, event = upload(media, image_bytes("JPEG"), "image/jpeg")
    from common import aws

    real = aws.dynamodb()

    class ThrottledUpdates:
        def get_item(self, **kwargs: Any) -> Any:
            return real.get_item(**kwargs)

        def update_item(self, **kwargs: object) -> None:
            raise ClientError(
                {"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "slow down"}},
                "UpdateItem",
            )

    monkeypatch.setattr(aws, "dynamodb", ThrottledUpdates)

    with pytest.raises(ClientError, match="ProvisionedThroughputExceeded"):
        invoke(event)
    # the retry will find the upload still pending and the thumbnail rewritten identically
    item = media.item(upload_id)
    assert item is not None
    assert item["status"] == "pending"

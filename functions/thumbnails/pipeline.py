"""What happens to one object created under ``uploads/``: the decisions, in order.

1. The upload item decides whether there is work: an unknown id or an already settled upload
   (``ready``/``failed``) means the object is a stray (removed) or the event a duplicate (no-op).
2. A ``pending`` upload's object is checked for size, then turned into a thumbnail by ``imaging``.
3. Good image: thumbnail written first, then the item marked ``ready`` — so ``ready`` always means
   the thumbnail exists. Bad image: item marked ``failed`` first, then the object removed — so a
   retry after a crash still finds the item settled and only finishes the removal.

Rejections are outcomes, not errors; only AWS faults raise (and are retried by Lambda).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from aws_lambda_powertools import Logger

from common.uploads import MAX_UPLOAD_BYTES, PENDING, READY, thumbnail_key, upload_id_from_key
from thumbnails import imaging, store

logger = Logger(child=True)


class Outcome(enum.StrEnum):
    CREATED = "created"  # thumbnail written, upload ready
    REJECTED = "rejected"  # not an acceptable image: upload failed, object removed
    STRAY_REMOVED = "stray_removed"  # object with no pending upload behind it: removed
    SKIPPED = "skipped"  # nothing to do: duplicate event, object already gone, or not an upload key


@dataclass(frozen=True)
class CreatedObject:
    """The parts of an S3 ObjectCreated record this function uses (key already URL-decoded)."""

    bucket: str
    key: str
    size: int


def process(created: CreatedObject) -> Outcome:
    upload_id = upload_id_from_key(created.key)
    if upload_id is None:
        logger.info("ignoring an object outside uploads/<id>", extra={"key": created.key})
        return Outcome.SKIPPED
    logger.append_keys(upload_id=upload_id)
    upload = store.get_upload(upload_id)
    if upload is None:
        # Upload slots are written before their presigned POST is handed out, so an object without
        # one was not uploaded through the API (or its slot was already swept): nothing may use it.
        logger.warning("no upload item for this object; removing it")
        store.delete_object(created.bucket, created.key)
        return Outcome.STRAY_REMOVED
    if upload.status != PENDING:
        return _settled(created, upload)
    return _process_pending(created, upload)


def _settled(created: CreatedObject, upload: store.Upload) -> Outcome:
    """A ready or failed upload is final. The object now in its slot is either the one that
    settled it (a duplicate event: nothing to do) or a later POST with the same presigned form,
    which is never processed and so must not stay."""
    etag = store.object_etag(created.bucket, created.key)
    if etag is None:
        logger.info("object already removed; nothing to do", extra={"status": upload.status})
        return Outcome.SKIPPED
    if upload.status == READY and etag == upload.source_etag:
        logger.info("thumbnail already made for this object; nothing to do")
        return Outcome.SKIPPED
    logger.warning(
        "object in an upload slot that is already settled; removing it", extra={"status": upload.status}
    )
    store.delete_object(created.bucket, created.key)
    return Outcome.STRAY_REMOVED


def _process_pending(created: CreatedObject, upload: store.Upload) -> Outcome:
    if created.size > MAX_UPLOAD_BYTES:
        return _reject(created, upload, "too_large", _too_large_reason(created.size))
    stored = store.fetch_object(created.bucket, created.key, MAX_UPLOAD_BYTES)
    if stored is None:
        logger.info("object already removed; nothing to do")
        return Outcome.SKIPPED
    if stored.data is None:
        return _reject(created, upload, "too_large", _too_large_reason(stored.size))
    try:
        thumbnail = imaging.make_thumbnail(stored.data, upload.content_type)
    except imaging.RejectedImage as rejected:
        return _reject(created, upload, rejected.code, rejected.reason)

    key = thumbnail_key(upload.id)
    store.put_thumbnail(created.bucket, key, thumbnail.webp)
    if not store.mark_ready(
        upload.id, thumbnail_key=key, width=thumbnail.width, height=thumbnail.height, etag=stored.etag
    ):
        # Another run settled this upload from a different object (a second POST with the same
        # form) while we worked. Its item stands; the thumbnail is whichever was written last —
        # a picture from the same uploader either way.
        logger.warning("upload settled by another run while processing; leaving it as it is")
        return Outcome.SKIPPED
    logger.info(
        "thumbnail created",
        extra={
            "source_format": thumbnail.source_format,
            "source_size": [thumbnail.source_width, thumbnail.source_height],
            "size": [thumbnail.width, thumbnail.height],
            "bytes": len(thumbnail.webp),
        },
    )
    return Outcome.CREATED


def _reject(created: CreatedObject, upload: store.Upload, code: str, reason: str) -> Outcome:
    if not store.mark_failed(upload.id, reason):
        logger.warning("upload settled by another run while processing; leaving it as it is")
        return Outcome.SKIPPED
    logger.warning("upload rejected", extra={"code": code, "reason": reason})
    store.delete_object(created.bucket, created.key)
    return Outcome.REJECTED


def _too_large_reason(size: int) -> str:
    return (
        f"the file is {size} bytes; the limit is {MAX_UPLOAD_BYTES} bytes ({MAX_UPLOAD_BYTES // 2**20} MiB)"
    )

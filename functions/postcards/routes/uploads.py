"""``/v1/uploads``: a slot for one photo (a presigned S3 POST) and the slot's processing status."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.metrics import MetricUnit

from common import clock
from common.uploads import ALLOWED_CONTENT_TYPES, MAX_UPLOAD_BYTES, PENDING, is_valid_id
from postcards import presigned_post, representations, upload_store
from postcards.errors import not_found
from postcards.http_io import created, json_body
from postcards.routes.methods import refuse_other_methods
from postcards.upload_store import Upload
from postcards.validation import Fields

router = Router()
logger = Logger(child=True)
metrics = Metrics()


@router.post("/v1/uploads")
def create_upload() -> Response[Any]:
    fields = Fields(json_body(router.current_event), required=("content_type", "size_bytes"))
    content_type = fields.choice("content_type", tuple(ALLOWED_CONTENT_TYPES))
    size_bytes = fields.integer("size_bytes", minimum=1, maximum=MAX_UPLOAD_BYTES, unit="bytes")
    fields.raise_if_invalid()

    now = clock.utc_now()
    upload = Upload(
        id=uuid.uuid4().hex,
        status=PENDING,
        content_type=content_type,
        size_bytes=size_bytes,
        created_at=clock.isoformat(now),
    )
    # Signing is local computation: done before the write, a failure leaves no slot behind.
    post = presigned_post.for_upload(upload.id, content_type=content_type, size_bytes=size_bytes)
    upload_store.create_pending(upload)
    metrics.add_metric(name="UploadSlotsCreated", unit=MetricUnit.Count, value=1)
    body = {
        **representations.upload(upload),
        "presigned_post": {
            "url": post.url,
            "fields": post.fields,
            "expires_at": _expiry(now, post.expires_in),
        },
    }
    logger.info("upload slot created", extra={"upload_id": upload.id, "content_type": content_type})
    return created(router.current_event, f"/v1/uploads/{upload.id}", body)


@router.get("/v1/uploads/<upload_id>")
def get_upload(upload_id: str) -> dict[str, Any]:
    upload = upload_store.get(upload_id) if is_valid_id(upload_id) else None
    if upload is None:
        raise not_found(f"no upload with id {upload_id!r}")
    return representations.upload(upload)


def _expiry(now: datetime, seconds: int) -> str:
    return clock.isoformat(now + timedelta(seconds=seconds))


refuse_other_methods(router, "/v1/uploads", ("POST",))
refuse_other_methods(router, "/v1/uploads/<upload_id>", ("GET",))

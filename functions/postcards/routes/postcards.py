"""``/v1/postcards``: the feed (paginated, newest first), one postcard, writing one."""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass
from typing import Any, Final

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.metrics import MetricUnit

from common import clock
from common.uploads import is_valid_id
from postcards import cursor, idempotency, postcard_store, representations, signing_key, upload_store
from postcards.errors import ApiError, bad_request, conflict, not_found, unprocessable
from postcards.http_io import created, json_body, query_integer
from postcards.postcard_store import AlreadyStored, ClaimRefusal, Postcard, UploadClaimError
from postcards.routes.methods import refuse_other_methods
from postcards.validation import Fields

router = Router()
logger = Logger(child=True)
metrics = Metrics()  # Powertools metrics instances share one metric set per process

DEFAULT_LIMIT: Final = 20
MAX_LIMIT: Final = 50
AUTHOR_MAX_CHARS: Final = 40
MESSAGE_MAX_CHARS: Final = 280
# A stamp id as the container API gives them ("alpine-meadow"): the shape is checked, never whether
# the container API knows it. Asking it on every write would make sending a postcard fail (or wait)
# whenever the container service is down or slow, and tie this service's availability and latency
# to another's; the site shows an unknown id plainly instead. Same shape as NewPostcard.stamp in
# the OpenAPI document, so the gateway and the function agree.
STAMP_ID: Final = re.compile(r"[a-z0-9][a-z0-9-]{0,39}")
# The namespace of ids derived from an Idempotency-Key (uuid5: the same request, the same id).
_KEYED_IDS: Final = uuid.UUID("5e1f0c3a-8d2b-4b7e-9a61-2f4c6d8e0b13")
STAMP_ID_EXPECTED: Final = "a stamp id (1 to 40 lowercase letters, digits or hyphens; not first a hyphen)"


@dataclass(frozen=True)
class NewPostcard:
    author: str
    message: str
    upload_id: str | None
    stamp: str | None


@router.get("/v1/postcards")
def list_postcards() -> dict[str, Any]:
    params = router.current_event.query_string_parameters
    limit = query_integer(params.get("limit"), "limit", minimum=1, maximum=MAX_LIMIT, default=DEFAULT_LIMIT)
    after = _position(params.get("cursor"))
    cards, following = postcard_store.page(limit, after)
    uploads = upload_store.get_many(card.upload_id for card in cards if card.upload_id)
    return {
        "items": [representations.postcard(card, uploads.get(card.upload_id or "")) for card in cards],
        "next_cursor": cursor.encode(following, signing_key.signing_key()) if following else None,
    }


@router.get("/v1/postcards/<postcard_id>")
def get_postcard(postcard_id: str) -> dict[str, Any]:
    card = postcard_store.get(postcard_id) if is_valid_id(postcard_id) else None
    if card is None:
        raise not_found(f"no postcard with id {postcard_id!r}")
    upload = upload_store.get(card.upload_id) if card.upload_id else None
    return representations.postcard(card, upload)


@router.post("/v1/postcards")
def create_postcard() -> Response[Any]:
    event = router.current_event
    body = json_body(event)
    key = idempotency.key_from_header(event.headers.get(idempotency.HEADER.lower()))
    draft = _new_postcard(body)
    # A keyed write's id follows from the key and the request: if its first attempt wrote and then
    # died before its success was recorded, the attempt that runs again finds its own postcard
    # instead of writing a second one (found by the chaos experiments, tests/local/chaos).
    postcard_id = _keyed_id(key, draft) if key is not None else uuid.uuid4().hex

    def write() -> dict[str, Any]:
        # Stored as serialised text so that a replay answers with byte-identical JSON.
        card = _write(draft, postcard_id)
        return {"id": card["id"], "json": json.dumps(card, separators=(",", ":"))}

    if key is None:
        result, replayed = write(), False
    else:
        result, replayed = idempotency.run_once("create-postcard", key, body, write, router.lambda_context)
    headers = {"Idempotent-Replayed": "true"} if replayed else {}
    logger.info("postcard created", extra={"postcard_id": result["id"], "replayed": replayed})
    return created(event, f"/v1/postcards/{result['id']}", result["json"], headers)


def _new_postcard(body: Any) -> NewPostcard:
    fields = Fields(body, required=("author", "message"), optional=("upload_id", "stamp"))
    author = fields.text("author", max_chars=AUTHOR_MAX_CHARS)
    message = fields.text("message", max_chars=MESSAGE_MAX_CHARS, multiline=True)
    upload_id = fields.optional_id("upload_id")
    stamp = fields.optional_token("stamp", STAMP_ID, STAMP_ID_EXPECTED)
    fields.raise_if_invalid()
    return NewPostcard(author=author, message=message, upload_id=upload_id, stamp=stamp)


def _keyed_id(key: str, draft: NewPostcard) -> str:
    request = "\n".join((key, draft.author, draft.message, draft.upload_id or "", draft.stamp or ""))
    return uuid.uuid5(_KEYED_IDS, request).hex


def _write(draft: NewPostcard, postcard_id: str) -> dict[str, Any]:
    card = Postcard(
        id=postcard_id,
        author=draft.author,
        message=draft.message,
        created_at=clock.now_iso(),
        upload_id=draft.upload_id,
        stamp=draft.stamp,
    )
    try:
        postcard_store.put(card)
    except UploadClaimError as refused:
        raise _claim_error(refused.refusal, draft.upload_id) from None
    except AlreadyStored:
        stored = postcard_store.get(card.id)
        if stored is None:  # stored a moment ago, so never: but never answer what is not there
            raise
        logger.info("postcard already written by an earlier attempt", extra={"postcard_id": card.id})
        card = stored
    else:
        metrics.add_metric(name="PostcardsCreated", unit=MetricUnit.Count, value=1)
    upload = upload_store.get(card.upload_id) if card.upload_id else None
    return representations.postcard(card, upload)


def _claim_error(refusal: ClaimRefusal, upload_id: str | None) -> ApiError:
    if refusal is ClaimRefusal.UPLOAD_CLAIMED:
        return conflict(refusal.value, f"upload {upload_id} already belongs to another postcard")
    if refusal is ClaimRefusal.CONTENDED:
        return conflict(refusal.value, f"upload {upload_id} is being claimed right now; retry", retry_after=1)
    if refusal is ClaimRefusal.UPLOAD_FAILED:
        return unprocessable(refusal.value, f"upload {upload_id} was rejected and cannot be used")
    return unprocessable(refusal.value, f"no upload {upload_id}; create one with POST /v1/uploads first")


def _position(raw: str | None) -> cursor.Position | None:
    if not raw:
        return None
    try:
        return cursor.decode(raw, signing_key.signing_key())
    except cursor.InvalidCursorError as error:
        raise bad_request(f"invalid cursor ({error}); start again without one", "invalid_cursor") from None


refuse_other_methods(router, "/v1/postcards", ("GET", "POST"))
refuse_other_methods(router, "/v1/postcards/<postcard_id>", ("GET",))

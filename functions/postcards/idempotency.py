"""Safe retries with an ``Idempotency-Key`` header, through Powertools idempotency (DynamoDB).

The key names the operation; the request body is its payload. The first request with a key runs and
its response is stored for ``EXPIRES_AFTER_SECONDS``; a repeat with the same body gets that stored
response (no second write), a repeat with a different body is a client bug (409), and a repeat while
the first is still running is told to retry (409 + Retry-After). A failed first attempt stores
nothing, so the client may retry it with the same key; a first attempt that did its work but could
not record it still answers its result.

Powertools idempotency (and jmespath under it) is imported on the first keyed request only: reads
and unkeyed writes never pay for it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final

from aws_lambda_powertools import Logger

from common import aws, settings
from postcards.errors import bad_request, conflict

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.idempotency.persistence.datarecord import DataRecord
    from aws_lambda_powertools.utilities.typing import LambdaContext

logger = Logger(child=True)

HEADER: Final = "Idempotency-Key"
EXPIRES_AFTER_SECONDS: Final = 24 * 60 * 60
_KEY: Final = re.compile(r"[\x21-\x7e]{1,255}")  # visible ASCII, as in the IETF draft's examples


def key_from_header(value: str | None) -> str | None:
    """The client's idempotency key, None without one; 400 for an empty or unprintable key."""
    if value is None:
        return None
    if not _KEY.fullmatch(value):
        raise bad_request(f"{HEADER} must be 1 to 255 visible ASCII characters", "invalid_idempotency_key")
    return value


def run_once(
    scope: str,
    key: str,
    body: Any,
    operation: Callable[[], dict[str, Any]],
    lambda_context: LambdaContext,
) -> tuple[dict[str, Any], bool]:
    """``operation()``'s result for (scope, key), running it at most once; and whether it was replayed."""
    from aws_lambda_powertools.utilities.idempotency import (
        DynamoDBPersistenceLayer,
        IdempotencyConfig,
        idempotent_function,
    )
    from aws_lambda_powertools.utilities.idempotency.exceptions import (
        IdempotencyAlreadyInProgressError,
        IdempotencyPersistenceLayerError,
        IdempotencyValidationError,
    )

    config = IdempotencyConfig(
        event_key_jmespath="key",
        payload_validation_jmespath="body",
        raise_on_no_idempotency_key=True,
        expires_after_seconds=EXPIRES_AFTER_SECONDS,
        hash_function="sha256",
        response_hook=_mark_replayed,
        # Lets an in-progress record expire with this invocation if it dies mid-way.
        lambda_context=lambda_context,
    )
    persistence = DynamoDBPersistenceLayer(
        table_name=settings.required("IDEMPOTENCY_TABLE"), boto3_client=aws.dynamodb()
    )
    guarded = idempotent_function(
        _perform,
        data_keyword_argument="request",
        persistence_store=persistence,
        config=config,
        key_prefix=f"postcards.{scope}",
    )
    done: list[dict[str, Any]] = []

    def performed() -> dict[str, Any]:
        done.append(operation())
        return done[-1]

    try:
        outcome = guarded(request={"key": key, "body": body}, operation=performed)
    except IdempotencyValidationError:
        raise conflict(
            "idempotency_key_reused",
            f"this {HEADER} was already used with a different request body; use a new key",
        ) from None
    except IdempotencyPersistenceLayerError:
        if not done:
            raise
        # The work is done and its answer known; only recording it failed (DynamoDB throttled the
        # record's update, say). Answer it: failing it would make the client retry a write that
        # was made, and wait out the in-progress record before that retry may run.
        logger.warning("the idempotency record could not be completed; answering the result")
        return done[-1], False
    except IdempotencyAlreadyInProgressError:
        raise conflict(
            "request_in_progress",
            f"a request with this {HEADER} is still being processed; retry shortly",
            retry_after=1,
        ) from None
    return outcome["response"], bool(outcome.get("replayed"))


def _perform(request: dict[str, Any], operation: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    return {"response": operation()}


def _mark_replayed(response: dict[str, Any], idempotent_data: DataRecord) -> dict[str, Any]:
    return {**response, "replayed": True}

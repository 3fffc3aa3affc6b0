"""Lazily created, cached boto3 clients.

Clients are created on first use, not at import: a cold start pays only for the clients the first
request needs, and tests that start moto's ``mock_aws`` after import still catch every call.
``clear()`` drops the cache (tests call it between mocks).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final

from common import deadline

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient
    from mypy_boto3_s3.client import S3Client


@functools.cache
def _session() -> Any:
    """One boto3 session for every client: a session loads botocore's endpoint, partition and
    credential data once, and each further client built on it skips that (a new session per client
    paid it again: the cursor key's SSM client and its GetParameter take 27 ms of CPU on the shared
    session, 109 ms on a new one; median of 12 fresh interpreters, 2026-12-01)."""
    import boto3

    return boto3.session.Session()


# Called with each new client, by name (registering a name again replaces its hook): how tracing
# instruments the AWS SDK, through each client's own events (common.xray_botocore).
_client_hooks: dict[str, Callable[[Any], None]] = {}


def on_new_client(name: str, hook: Callable[[Any], None]) -> None:
    """Call ``hook`` with every client made from now on (clients are made lazily, on first use)."""
    _client_hooks[name] = hook


@functools.cache
def client(service: str) -> Any:
    """One boto3 client per service for the life of the execution environment.

    boto3 honours AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_<SERVICE>, which is how the local cloud points
    deployed code at itself: nothing here knows about it.
    """
    made = _session().client(service, config=_config(service))
    event = f"needs-retry.{made.meta.service_model.service_id.hyphenize()}"
    made.meta.events.register_first(event, functools.partial(_no_retry_near_the_deadline, made))
    for hook in _client_hooks.values():
        hook(made)
    return made


# Time an invocation keeps for answering once the SDK gives up (the error's own handling, the
# response): a retry that would eat into it is not made.
ANSWER_RESERVE_S: Final = 3.0
# What the SDK would retry: throttles, and AWS's own faults (5xx).
RETRIED_CODES: Final = frozenset(
    {
        "ThrottlingException",
        "Throttling",
        "ProvisionedThroughputExceededException",
        "RequestLimitExceeded",
        "TooManyRequestsException",
        "SlowDown",
        "TransactionInProgressException",
    }
)


def _no_retry_near_the_deadline(made: Any, response: Any = None, operation: Any = None, **_: Any) -> None:
    """Before the SDK's own retry decision: near the invocation's deadline, an error answer is
    raised as it is instead of retried, so that the function answers it (a throttle as 503 +
    Retry-After) rather than timing out mid-backoff (a 502). Found by the DynamoDB-throttle chaos
    experiment (tests/local/chaos): a write's several throttled calls, each retried with backoff,
    outlasted the API function's 10 s timeout."""
    if response is None or deadline.remaining_s() >= ANSWER_RESERVE_S:
        return  # the SDK decides as usual
    http, parsed = response
    error = parsed.get("Error", {}) if isinstance(parsed, dict) else {}
    code = str(error.get("Code", ""))
    if code in RETRIED_CODES or (error and http.status_code >= 500):
        # As the client itself raises it once it gives up: the modelled exception, if there is one.
        raise made.exceptions.from_code(code)(parsed, operation.name)


def _config(service: str) -> Any:
    from botocore.config import Config

    # Bounded retries: "legacy" mode tries a DynamoDB call 10 times, with backoff summing to ~25 s,
    # past the API function's 10 s timeout (a throttled table made requests hang into 502s instead
    # of the API's 503 + Retry-After). "standard" mode: full-jitter backoff, 3 attempts in all (4
    # for DynamoDB; AWS_MAX_ATTEMPTS may say otherwise), and none near the invocation's deadline
    # (``client``). Fewer was tried under the DynamoDB-throttle chaos
    # experiment (tests/local/chaos): with 2, the in-progress idempotency record's delete after a
    # throttled write failed too often, and its retries waited out the record (409s) until clients
    # gave up.
    # https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html
    retries: Any = {"mode": "standard"}
    if service != "s3":
        return Config(retries=retries)

    # Presigned POSTs (the site's uploads) must be SigV4, which botocore does not pick for presigning
    # by itself and S3 requires for buckets created since 2020; and they must name the bucket's
    # regional endpoint, or a browser's POST to a young bucket is redirected. An IP endpoint (the
    # local cloud) still gets path-style URLs.
    return Config(
        retries=retries,
        signature_version="s3v4",
        s3={"addressing_style": "virtual", "us_east_1_regional_endpoint": "regional"},
    )


def dynamodb() -> DynamoDBClient:
    return client("dynamodb")


def s3() -> S3Client:
    return client("s3")


def clear() -> None:
    client.cache_clear()
    _session.cache_clear()

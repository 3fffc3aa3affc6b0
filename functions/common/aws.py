"""Lazily created, cached boto3 clients.

Clients are created on first use, not at import: a cold start pays only for the clients the first
request needs, and tests that start moto's ``mock_aws`` after import still catch every call.
``clear()`` drops the cache (tests call it between mocks).
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient
    from mypy_boto3_s3.client import S3Client


@functools.cache
def client(service: str) -> Any:
    """One boto3 client per service for the life of the execution environment.

    boto3 honours AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_<SERVICE>, which is how the local cloud points
    deployed code at itself: nothing here knows about it.
    """
    import boto3

    return boto3.session.Session().client(service, config=_config(service))  # type: ignore[call-overload]


def _config(service: str) -> Any:
    from botocore.config import Config

    # Bounded retries: botocore's default ("legacy") mode tries a DynamoDB call 10 times, with
    # backoff summing to ~25 s, past the API function's 10 s timeout, so a throttled table made
    # requests hang and then fail as the gateway's 502/504 rather than as the API's 503 +
    # Retry-After (the DynamoDB-throttle chaos experiment, tests/local/chaos). "standard" mode:
    # 3 attempts with full-jitter backoff, then the error is the function's to answer; the client
    # retries with backoff of its own.
    # https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html
    retries: Any = {"mode": "standard", "max_attempts": 3}
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

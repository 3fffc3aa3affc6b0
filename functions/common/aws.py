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
def _session() -> Any:
    """One boto3 session for every client: a session loads botocore's endpoint, partition and
    credential data once, and each further client built on it skips that (a new session per client
    paid it again: the cursor key's SSM client and its GetParameter take 27 ms of CPU on the shared
    session, 109 ms on a new one; median of 12 fresh interpreters, 2026-12-01)."""
    import boto3

    return boto3.session.Session()


@functools.cache
def client(service: str) -> Any:
    """One boto3 client per service for the life of the execution environment.

    boto3 honours AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_<SERVICE>, which is how the local cloud points
    deployed code at itself: nothing here knows about it.
    """
    return _session().client(service, config=_config(service))


def _config(service: str) -> Any:
    if service != "s3":
        return None
    from botocore.config import Config

    # Presigned POSTs (the site's uploads) must be SigV4, which botocore does not pick for presigning
    # by itself and S3 requires for buckets created since 2020; and they must name the bucket's
    # regional endpoint, or a browser's POST to a young bucket is redirected. An IP endpoint (the
    # local cloud) still gets path-style URLs.
    return Config(
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

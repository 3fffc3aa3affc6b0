"""Shared fixtures for the functions' unit tests: moto-backed AWS with the tables and bucket that
Terraform creates (schemas as in docs/architecture.md), and the environment Terraform sets."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from moto import mock_aws

from common import aws

REGION = "us-east-1"


@dataclass(frozen=True)
class Stack:
    postcards_table: str = "postcards-test-postcards"
    uploads_table: str = "postcards-test-uploads"
    idempotency_table: str = "postcards-test-idempotency"
    media_bucket: str = "postcards-test-media"
    site_origin: str = "https://www.example.test"
    media_base_url: str = "https://www.example.test/media"


def _create_tables(stack: Stack) -> None:
    ddb = boto3.client("dynamodb", region_name=REGION)
    ddb.create_table(
        TableName=stack.postcards_table,
        BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[
            {"AttributeName": "id", "AttributeType": "S"},
            {"AttributeName": "feed", "AttributeType": "S"},
            {"AttributeName": "feed_key", "AttributeType": "S"},
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "feed-index",
                "KeySchema": [
                    {"AttributeName": "feed", "KeyType": "HASH"},
                    {"AttributeName": "feed_key", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
    )
    ddb.create_table(
        TableName=stack.uploads_table,
        BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[
            {"AttributeName": "id", "AttributeType": "S"},
            {"AttributeName": "status", "AttributeType": "S"},
            {"AttributeName": "created_at", "AttributeType": "S"},
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "status-index",
                "KeySchema": [
                    {"AttributeName": "status", "KeyType": "HASH"},
                    {"AttributeName": "created_at", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
    )
    ddb.create_table(
        TableName=stack.idempotency_table,
        BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
    )


@pytest.fixture
def stack(monkeypatch: pytest.MonkeyPatch) -> Iterator[Stack]:
    """Given the deployed stack (tables, media bucket, environment) on moto."""
    stack = Stack()
    env: dict[str, Any] = {
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "POSTCARDS_TABLE": stack.postcards_table,
        "UPLOADS_TABLE": stack.uploads_table,
        "IDEMPOTENCY_TABLE": stack.idempotency_table,
        "MEDIA_BUCKET": stack.media_bucket,
        "MEDIA_BASE_URL": stack.media_base_url,
        "SITE_ORIGIN": stack.site_origin,
        "CURSOR_SIGNING_KEY": "unit-test-signing-key",
        "SERVICE_VERSION": "1.2.3-test",
        "POWERTOOLS_SERVICE_NAME": "postcards",
        "POWERTOOLS_METRICS_NAMESPACE": "Postcards",
        "POWERTOOLS_TRACE_DISABLED": "true",
    }
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    aws.clear()
    with mock_aws():
        _create_tables(stack)
        boto3.client("s3", region_name=REGION).create_bucket(Bucket=stack.media_bucket)
        yield stack
    aws.clear()

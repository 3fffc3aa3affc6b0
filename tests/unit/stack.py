"""The deployed stack as the functions' unit tests (and the cold-start benchmark) see it: the tables
and the media bucket that Terraform creates, with the schemas in docs/architecture.md ("Data"),
created on whatever moto the caller runs (``mock_aws`` or a server that AWS_ENDPOINT_URL names)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import boto3

REGION = "us-east-1"


@dataclass(frozen=True)
class Stack:
    postcards_table: str = "postcards-test-postcards"
    uploads_table: str = "postcards-test-uploads"
    idempotency_table: str = "postcards-test-idempotency"
    media_bucket: str = "postcards-test-media"
    site_origin: str = "https://www.example.test"
    media_base_url: str = "https://www.example.test/media"
    cursor_signing_key_parameter: str = "/postcards/test/cursor-signing-key"
    cursor_signing_key: str = "unit-test-signing-key"


def _table(name: str, index: tuple[str, str, str] | None = None) -> dict[str, Any]:
    """CreateTable's arguments for a table keyed by ``id``; ``index`` is (name, hash key, range key)
    of a global secondary index that projects every attribute. Every key is a string."""
    request: dict[str, Any] = {
        "TableName": name,
        "BillingMode": "PAY_PER_REQUEST",
        "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
    }
    keys = ["id"]
    if index is not None:
        index_name, hash_key, range_key = index
        keys += [hash_key, range_key]
        request["GlobalSecondaryIndexes"] = [
            {
                "IndexName": index_name,
                "KeySchema": [
                    {"AttributeName": hash_key, "KeyType": "HASH"},
                    {"AttributeName": range_key, "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        ]
    request["AttributeDefinitions"] = [{"AttributeName": key, "AttributeType": "S"} for key in keys]
    return request


def create_stack(stack: Stack) -> None:
    """The three tables, the media bucket and the cursor signing key's SecureString."""
    ddb = boto3.client("dynamodb", region_name=REGION)
    for request in (
        _table(stack.postcards_table, index=("feed-index", "feed", "feed_key")),
        _table(stack.uploads_table, index=("status-index", "status", "created_at")),
        _table(stack.idempotency_table),
    ):
        ddb.create_table(**request)
    boto3.client("s3", region_name=REGION).create_bucket(Bucket=stack.media_bucket)
    boto3.client("ssm", region_name=REGION).put_parameter(
        Name=stack.cursor_signing_key_parameter, Type="SecureString", Value=stack.cursor_signing_key
    )

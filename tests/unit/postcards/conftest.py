"""Fixtures for the postcards API's tests: the handler on the moto stack, a client, the tables."""

from __future__ import annotations

import importlib
import warnings
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import boto3
import pytest

from tests.unit.lambda_context import FakeLambdaContext
from tests.unit.postcards.api_client import ApiClient


@pytest.fixture
def handler(stack: Any) -> ModuleType:
    """The handler module, imported once the stack's environment is set (it reads SITE_ORIGIN and
    the Powertools settings at import, as it does on Lambda)."""
    return importlib.import_module("postcards.handler")


@pytest.fixture
def api(handler: ModuleType) -> ApiClient:
    return ApiClient(handler)


@pytest.fixture
def fresh_environment(stack: Any) -> ModuleType:
    """Given a new execution environment: the handler's module state initialised anew, as Lambda
    does when it starts an environment."""
    environment = importlib.import_module("postcards.environment")
    importlib.reload(environment)
    return importlib.reload(importlib.import_module("postcards.handler"))


@dataclass
class Tables:
    """Direct access to what the function stored, to check its effects (and their absence)."""

    stack: Any

    @property
    def _ddb(self) -> Any:
        return boto3.client("dynamodb", region_name="us-east-1")

    def postcards(self) -> list[dict[str, Any]]:
        return self._ddb.scan(TableName=self.stack.postcards_table)["Items"]

    def uploads(self) -> list[dict[str, Any]]:
        return self._ddb.scan(TableName=self.stack.uploads_table)["Items"]

    def idempotency_records(self) -> list[dict[str, Any]]:
        return self._ddb.scan(TableName=self.stack.idempotency_table)["Items"]

    def delete_idempotency_record(self, record: dict[str, Any]) -> None:
        """As when an in-progress record expires: the key may run again."""
        self._ddb.delete_item(TableName=self.stack.idempotency_table, Key={"id": record["id"]})

    def upload(self, upload_id: str) -> dict[str, Any] | None:
        item: dict[str, Any] | None = self._ddb.get_item(
            TableName=self.stack.uploads_table, Key={"id": {"S": upload_id}}
        ).get("Item")
        return item

    def put_upload(self, upload_id: str, status: str = "pending", **extra: str) -> None:
        item = {
            "id": {"S": upload_id},
            "status": {"S": status},
            "content_type": {"S": "image/png"},
            "size_bytes": {"N": "1234"},
            "created_at": {"S": "2026-01-31T12:00:00.000000+00:00"},
        }
        item.update({name: {"S": value} for name, value in extra.items()})
        self._ddb.put_item(TableName=self.stack.uploads_table, Item=item)

    def delete_upload(self, upload_id: str) -> None:
        self._ddb.delete_item(TableName=self.stack.uploads_table, Key={"id": {"S": upload_id}})

    def mark_ready(self, upload_id: str) -> None:
        """What the thumbnails function records when it has made the thumbnail."""
        self._ddb.update_item(
            TableName=self.stack.uploads_table,
            Key={"id": {"S": upload_id}},
            UpdateExpression="SET #s = :ready, thumbnail_key = :key",
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues={
                ":ready": {"S": "ready"},
                ":key": {"S": f"thumbnails/{upload_id}.webp"},
            },
        )


@pytest.fixture
def tables(stack: Any) -> Tables:
    return Tables(stack)


@pytest.fixture
def lambda_context() -> FakeLambdaContext:
    return FakeLambdaContext()


@pytest.fixture(autouse=True)
def _reads_publish_no_metrics() -> None:
    """The handler silences Powertools' "No application metrics" warning at import (reads add no
    metric); pytest resets warning filters for every test, so the same filter is set here."""
    warnings.filterwarnings("ignore", message="No application metrics to publish")

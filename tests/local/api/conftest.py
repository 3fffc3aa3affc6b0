"""The API as a client sees it on the session's local cloud: its URL, and what it stored (read
through the edge, as any AWS client would)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from tests.local.cloud_support import RunningCloud


@dataclass(frozen=True)
class Api:
    cloud: RunningCloud

    @property
    def url(self) -> str:
        return str(self.cloud.endpoints["api_url"]).rstrip("/")

    def _outputs(self) -> dict[str, Any]:
        return dict(self.cloud.endpoints["terraform_outputs"])

    def table(self, name: str) -> str:
        return str(self._outputs()["tables"][name]["name"])

    @property
    def function_name(self) -> str:
        return str(self._outputs()["function_names"]["postcards"])

    def scan_pages(self, table: str) -> Callable[[], Iterator[dict[str, Any]]]:
        def pages() -> Iterator[dict[str, Any]]:
            paginator = self.cloud.client("dynamodb").get_paginator("scan")
            yield from paginator.paginate(TableName=self.table(table))

        return pages

    def count(self, table: str) -> int:
        paginator = self.cloud.client("dynamodb").get_paginator("scan")
        return sum(page["Count"] for page in paginator.paginate(TableName=self.table(table), Select="COUNT"))

    def stored(self) -> dict[str, int]:
        """How many postcards and uploads are stored."""
        return {table: self.count(table) for table in ("postcards", "uploads")}

    def reserved_concurrency(self) -> int | None:
        answer = self.cloud.client("lambda").get_function_concurrency(FunctionName=self.function_name)
        value = answer.get("ReservedConcurrentExecutions")
        return int(value) if value is not None else None


@pytest.fixture(scope="session")
def api(cloud: RunningCloud) -> Api:
    return Api(cloud)

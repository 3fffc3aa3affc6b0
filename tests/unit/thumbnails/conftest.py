"""Fixtures for the thumbnails function's tests."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

import pytest

from tests.unit.lambda_context import FakeLambdaContext
from tests.unit.thumbnails.helpers import Media


@pytest.fixture
def lambda_context() -> FakeLambdaContext:
    return FakeLambdaContext(
        "postcards-test-thumbnails", "$LATEST", qualifier=None, memory_limit_in_mb=1024, remaining_ms=60_000
    )


@pytest.fixture
def media(stack: Any) -> Media:
    """Given the media bucket and uploads table on moto, as the thumbnails function sees them."""
    return Media(stack)


@pytest.fixture
def invoke(stack: Any, lambda_context: FakeLambdaContext) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """Call the deployed handler as Lambda does. The module is imported here, after the stack's
    environment is set, because Powertools reads its settings (namespace, service) at import."""
    handler = importlib.import_module("thumbnails.handler")

    def call(event: dict[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = handler.lambda_handler(event, lambda_context)
        return result

    return call

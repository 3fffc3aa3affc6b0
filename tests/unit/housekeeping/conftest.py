"""Fixtures for the housekeeping job's tests."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

import pytest

from common import clock
from tests.unit.housekeeping.helpers import NOW, World, scheduled_event
from tests.unit.lambda_context import FakeLambdaContext


@pytest.fixture
def world(stack: Any, monkeypatch: pytest.MonkeyPatch) -> World:
    """Given the deployed stack on moto, with the job's clock pinned to NOW."""
    monkeypatch.setattr(clock, "utc_now", lambda: NOW)
    return World(stack)


@pytest.fixture
def lambda_context() -> FakeLambdaContext:
    return FakeLambdaContext("postcards-test-housekeeping", "$LATEST", qualifier=None, remaining_ms=300_000)


@pytest.fixture
def run(world: World, lambda_context: FakeLambdaContext) -> Callable[[], dict[str, Any]]:
    """One scheduled run of the deployed handler. The module is imported after the stack's
    environment is set, because Powertools reads its settings (namespace, service) at import."""
    handler = importlib.import_module("housekeeping.handler")

    def call() -> dict[str, Any]:
        result: dict[str, Any] = handler.lambda_handler(scheduled_event(), lambda_context)
        return result

    return call

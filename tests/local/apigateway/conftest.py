"""The API Gateway tests' contract: the project's OpenAPI document, as the gateway reads it."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from local.services.apigateway.openapi import OpenApiExtras, extract
from tests.local.gateway_support import render_openapi


@pytest.fixture(scope="session")
def contract() -> dict[str, Any]:
    """The project's OpenAPI document, rendered with local values."""
    return yaml.safe_load(render_openapi("http://127.0.0.1:4570"))


@pytest.fixture(scope="session")
def contract_extras(contract: dict[str, Any]) -> OpenApiExtras:
    return extract(contract)

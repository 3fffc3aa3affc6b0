"""Shared fixtures for the functions' unit tests: moto-backed AWS with the tables and bucket that
Terraform creates (tests/unit/stack.py), and the environment Terraform sets."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from moto import mock_aws

from common import aws
from postcards import signing_key
from tests.unit.stack import REGION, Stack, create_stack
from tests.unit.xray_daemon import daemon  # noqa: F401 - the tracing tests' fixture


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
        "CURSOR_SIGNING_KEY_PARAMETER": stack.cursor_signing_key_parameter,
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
    signing_key.clear()
    with mock_aws():
        create_stack(stack)
        yield stack
    aws.clear()
    signing_key.clear()

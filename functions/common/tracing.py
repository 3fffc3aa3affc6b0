"""The functions' one tracing seam: ``make_tracer()``, a Powertools Tracer with the provider that fits.

- **Off** (``NoTracing``): POWERTOOLS_TRACE_DISABLED is truthy, or the code is not running on Lambda
  (no LAMBDA_TASK_ROOT), or it runs under SAM local / Chalice local; Powertools' own rule. Nothing is
  imported or recorded. Tracer's own ``disabled=True`` is not used: it imports the X-Ray SDK to switch
  the SDK off, and the layer no longer ships the SDK.
- **On** (on Lambda): ``common.xray.XRayProvider``, our own X-Ray recorder: the subsegments the X-Ray
  SDK would send, in its format, without the SDK (in maintenance, support ending 2027-02-25; and its
  import was a sixth of the API function's import time; see the README's Decisions).

Powertools' Tracer is the API either way (``capture_lambda_handler``, ``capture_method``,
``put_annotation``), so another provider, such as an OpenTelemetry one, is a ``BaseProvider``
chosen here and nothing else changes.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from typing import Any

from aws_lambda_powertools import Tracer
from aws_lambda_powertools.tracing.base import BaseProvider, BaseSegment

_TRUTHY = {"1", "true", "yes", "on", "y", "t"}


def tracing_enabled() -> bool:
    if os.environ.get("POWERTOOLS_TRACE_DISABLED", "").strip().lower() in _TRUTHY:
        return False
    if os.environ.get("AWS_SAM_LOCAL") or os.environ.get("AWS_CHALICE_CLI_MODE"):
        return False
    return bool(os.environ.get("LAMBDA_TASK_ROOT"))


def make_tracer(patch_modules: Sequence[str] = ("botocore",)) -> Tracer:
    """A Tracer tracing the AWS SDK (``patch_modules``: only botocore is supported)."""
    if tracing_enabled():
        from common.xray import XRayProvider

        return Tracer(disabled=False, auto_patch=True, patch_modules=patch_modules, provider=XRayProvider())
    return Tracer(disabled=False, auto_patch=False, provider=NoTracing())


class _NoSegment(BaseSegment):
    def close(self, end_time: int | None = None) -> None:
        pass

    def add_subsegment(self, subsegment: Any) -> None:
        pass

    def remove_subsegment(self, subsegment: Any) -> None:
        pass

    def put_annotation(self, key: str, value: Any) -> None:
        pass

    def put_metadata(self, key: str, value: Any, namespace: str = "default") -> None:
        pass

    def add_exception(self, exception: BaseException, stack: Any, remote: bool = False) -> None:
        pass


class NoTracing(BaseProvider):
    """A tracing provider that records nothing (and needs no SDK)."""

    @contextmanager
    def in_subsegment(self, name: str | None = None, **kwargs: Any) -> Iterator[BaseSegment]:
        yield _NoSegment()

    @asynccontextmanager
    async def in_subsegment_async(self, name: str | None = None, **kwargs: Any) -> AsyncIterator[BaseSegment]:
        yield _NoSegment()

    def put_annotation(self, key: str, value: Any) -> None:
        pass

    def put_metadata(self, key: str, value: Any, namespace: str = "default") -> None:
        pass

    def patch(self, modules: Sequence[str]) -> None:
        pass

    def patch_all(self) -> None:
        pass

"""A Powertools Tracer that imports the X-Ray SDK only when tracing is on.

Powertools' Tracer imports ``aws_xray_sdk.core`` even when tracing is disabled, and outside Lambda
that import also builds two botocore X-Ray clients for centralised sampling: about 90 modules and,
on our machines, a quarter of a bare boto3 cold start, spent on traces nobody records. When tracing
is off we give Tracer a provider that does nothing, so the SDK is never imported; when it is on
(on Lambda), Tracer is the stock one and patches botocore only.

"Off" follows Powertools' own rule: POWERTOOLS_TRACE_DISABLED is truthy, or the code is not running
on Lambda (no LAMBDA_TASK_ROOT), or it runs under SAM local / Chalice local.
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
    if tracing_enabled():
        return Tracer(patch_modules=patch_modules)
    return Tracer(disabled=True, auto_patch=False, provider=NoTracing())


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

"""The functions' tracing seam: when tracing is on (on Lambda) and off, and off it records nothing."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aws_lambda_powertools.tracing.base import BaseSegment

from common.tracing import NoTracing, make_tracer, tracing_enabled
from common.xray import XRayProvider


@pytest.mark.parametrize(
    ("env", "enabled"),
    [
        ({"LAMBDA_TASK_ROOT": "/var/task"}, True),
        ({"LAMBDA_TASK_ROOT": "/var/task", "POWERTOOLS_TRACE_DISABLED": "false"}, True),
        ({"LAMBDA_TASK_ROOT": "/var/task", "POWERTOOLS_TRACE_DISABLED": "true"}, False),
        ({"LAMBDA_TASK_ROOT": "/var/task", "POWERTOOLS_TRACE_DISABLED": "1"}, False),
        ({"LAMBDA_TASK_ROOT": "/var/task", "AWS_SAM_LOCAL": "true"}, False),
        ({"LAMBDA_TASK_ROOT": "/var/task", "AWS_CHALICE_CLI_MODE": "true"}, False),
        ({}, False),
    ],
)
def test_tracing_is_on_only_on_lambda_unless_disabled(
    monkeypatch: Any, env: dict[str, str], enabled: bool
) -> None:
    for name in ("LAMBDA_TASK_ROOT", "POWERTOOLS_TRACE_DISABLED", "AWS_SAM_LOCAL", "AWS_CHALICE_CLI_MODE"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)

    assert tracing_enabled() is enabled


def test_without_tracing_the_tracer_records_nothing(monkeypatch: Any) -> None:
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "true")
    tracer = make_tracer()

    @tracer.capture_lambda_handler
    def handler(event: dict[str, Any], context: object) -> dict[str, Any]:
        tracer.put_annotation("key", "value")
        return {"echo": event}

    @tracer.capture_method
    async def method() -> int:
        return 7

    assert isinstance(tracer.provider, NoTracing)
    assert handler({"a": 1}, object()) == {"echo": {"a": 1}}
    assert asyncio.run(method()) == 7


def test_the_no_tracing_provider_yields_segments_that_record_nothing() -> None:
    # Given the provider the function uses when tracing is off
    provider = NoTracing()

    # When every call Powertools' Tracer may make on a provider and its segments is made
    with provider.in_subsegment("sync") as segment:
        answers = [
            segment.put_annotation("k", 1),
            segment.put_metadata("k", {"v": 1}),
            segment.add_subsegment(object()),
            segment.remove_subsegment(object()),
            segment.add_exception(ValueError("x"), []),
            segment.close(),
        ]

    async def use_async() -> BaseSegment:
        async with provider.in_subsegment_async("async") as async_segment:
            async_segment.put_annotation("k", True)
            return async_segment

    async_segment = asyncio.run(use_async())
    answers += [
        provider.put_annotation("k", "v"),
        provider.put_metadata("k", "v"),
        provider.patch(["botocore"]),
        provider.patch_all(),
    ]

    # Then each is a segment of the SDK-free kind, and nothing was recorded or patched
    assert isinstance(segment, BaseSegment)
    assert isinstance(async_segment, BaseSegment)
    assert type(segment).__module__ == type(async_segment).__module__ == "common.tracing"
    assert answers == [None] * 10
    assert vars(segment) == {}
    assert vars(async_segment) == {}


def test_on_lambda_the_tracer_is_our_x_ray_provider_tracing_the_aws_sdk(monkeypatch: Any) -> None:
    monkeypatch.setenv("LAMBDA_TASK_ROOT", "/var/task")
    monkeypatch.delenv("POWERTOOLS_TRACE_DISABLED", raising=False)
    hooks: dict[str, Any] = {}
    monkeypatch.setattr("common.aws._client_hooks", hooks)

    tracer = make_tracer(patch_modules=("botocore",))

    assert isinstance(tracer.provider, XRayProvider)
    assert tracer.disabled is False
    assert list(hooks) == ["xray"]  # every AWS client made from now on records its calls

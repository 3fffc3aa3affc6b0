"""When tracing is off, the tracer records nothing and needs no X-Ray SDK."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from postcards.tracing import NoTracing, make_tracer, tracing_enabled


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

    assert tracer.disabled
    assert isinstance(tracer.provider, NoTracing)
    assert handler({"a": 1}, object()) == {"echo": {"a": 1}}
    assert asyncio.run(method()) == 7


def test_the_no_tracing_provider_accepts_every_call() -> None:
    provider = NoTracing()

    with provider.in_subsegment("sync") as segment:
        segment.put_annotation("k", 1)
        segment.put_metadata("k", {"v": 1})
        segment.add_subsegment(object())
        segment.remove_subsegment(object())
        segment.add_exception(ValueError("x"), [])
        segment.close()

    async def use_async() -> None:
        async with provider.in_subsegment_async("async") as segment:
            segment.put_annotation("k", True)

    asyncio.run(use_async())
    provider.put_annotation("k", "v")
    provider.put_metadata("k", "v")
    provider.patch(["botocore"])
    provider.patch_all()

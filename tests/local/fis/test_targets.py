"""Target resolution (``local.services.fis.targets``): by ARN (a qualified ARN narrows the faults to
that version or alias), by tags, then the selection mode."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from local.services.fis.targets import ResolvedFunction, TargetError, resolve

ARN = "arn:aws:lambda:us-east-1:123456789012:function:{}"
FUNCTIONS = {"a": {"team": "x"}, "b": {"team": "x"}, "c": {"team": "y"}}


def _resolve(target: dict[str, Any], choose: Any = None) -> list[ResolvedFunction]:
    async def list_functions() -> list[dict[str, Any]]:
        return [{"FunctionArn": ARN.format(name), "FunctionName": name} for name in FUNCTIONS]

    async def list_tags(arn: str) -> dict[str, str]:
        return FUNCTIONS[arn.rsplit(":", 1)[1]]

    async def get_configuration(name: str, qualifier: str | None) -> dict[str, Any] | None:
        return {"FunctionName": name} if name in FUNCTIONS else None

    options = {"choose": choose} if choose else {}
    return asyncio.run(
        resolve(
            {"resourceType": "aws:lambda:function", **target},
            list_functions=list_functions,
            list_tags=list_tags,
            get_configuration=get_configuration,
            **options,
        )
    )


def test_a_qualified_arn_keeps_its_qualifier_and_a_missing_function_is_left_out() -> None:
    found = _resolve(
        {"resourceArns": [ARN.format("a") + ":live", ARN.format("gone")], "selectionMode": "ALL"}
    )
    assert [(f.name, f.qualifier) for f in found] == [("a", "live")]


def test_tags_select_every_function_carrying_them() -> None:
    assert [f.name for f in _resolve({"resourceTags": {"team": "x"}})] == ["a", "b"]


def test_count_and_percent_choose_that_many() -> None:
    first = lambda items, n: items[:n]  # noqa: E731 - a deterministic choice
    assert [
        f.name for f in _resolve({"resourceTags": {"team": "x"}, "selectionMode": "COUNT(1)"}, first)
    ] == ["a"]
    everyone = [ARN.format(name) for name in FUNCTIONS]
    assert len(_resolve({"resourceArns": everyone, "selectionMode": "PERCENT(50)"}, first)) == 2


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ({"resourceArns": [ARN.format("a")], "selectionMode": "SOME"}, "expected ALL, COUNT"),
        ({"selectionMode": "ALL"}, "needs resourceArns or resourceTags"),
        ({"resourceArns": ["arn:aws:s3:::bucket"]}, "is not a Lambda function ARN"),
    ],
)
def test_malformed_targets_are_refused(target: dict[str, Any], message: str) -> None:
    with pytest.raises(TargetError, match=message):
        _resolve(target)


def test_other_resource_types_are_refused() -> None:
    async def nothing(*_: Any) -> Any:
        return None

    with pytest.raises(TargetError, match="not supported by the local FIS"):
        asyncio.run(
            resolve(
                {"resourceType": "aws:ec2:instance"},
                list_functions=nothing,
                list_tags=nothing,
                get_configuration=nothing,
            )
        )

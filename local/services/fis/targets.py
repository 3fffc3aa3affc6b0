"""Which Lambda functions an experiment's target selects, as FIS selects them.

A target of type ``aws:lambda:function`` names its resources by ARN (``resourceArns``; a qualified
ARN, ``...:function:name:alias``, narrows the faults to that version or alias) or by tags
(``resourceTags``: every tag must match), then keeps ``selectionMode`` of them: ``ALL``,
``COUNT(n)`` or ``PERCENT(n)`` chosen at random
(https://docs.aws.amazon.com/fis/latest/userguide/targets.html). A target that selects nothing fails
the experiment unless ``emptyTargetResolutionMode`` is ``skip``.
"""

from __future__ import annotations

import math
import random
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

LAMBDA_FUNCTION = "aws:lambda:function"
_SELECTION = re.compile(r"^(ALL|COUNT\((\d+)\)|PERCENT\((\d+)\))$")


class TargetError(Exception):
    """The target cannot be resolved (the experiment fails with this reason)."""


@dataclass(frozen=True)
class ResolvedFunction:
    arn: str  # as FIS lists it (listExperimentResolvedTargets)
    name: str
    qualifier: str | None
    configuration: Mapping[str, Any]  # GetFunctionConfiguration's answer (its Environment)


# The Lambda calls target resolution needs, injected (the service passes control-plane calls).
ListFunctions = Callable[[], Awaitable[list[dict[str, Any]]]]
ListTags = Callable[[str], Awaitable[dict[str, str]]]
GetConfiguration = Callable[[str, str | None], Awaitable[dict[str, Any] | None]]


async def resolve(
    target: Mapping[str, Any],
    *,
    list_functions: ListFunctions,
    list_tags: ListTags,
    get_configuration: GetConfiguration,
    choose: Callable[[list[ResolvedFunction], int], list[ResolvedFunction]] = random.sample,
) -> list[ResolvedFunction]:
    """The functions ``target`` selects; TargetError for an unsupported or malformed target."""
    if target.get("resourceType") != LAMBDA_FUNCTION:
        raise TargetError(f"resource type {target.get('resourceType')!r} is not supported by the local FIS")
    candidates: list[ResolvedFunction] = []
    if target.get("resourceArns"):
        for arn in target["resourceArns"]:
            name, qualifier = _split_arn(arn)
            configuration = await get_configuration(name, qualifier)
            if configuration is not None:
                candidates.append(ResolvedFunction(arn, name, qualifier, configuration))
    elif target.get("resourceTags"):
        wanted = dict(target["resourceTags"])
        for function in await list_functions():
            tags = await list_tags(function["FunctionArn"])
            if all(tags.get(key) == value for key, value in wanted.items()):
                candidates.append(
                    ResolvedFunction(function["FunctionArn"], function["FunctionName"], None, function)
                )
    else:
        raise TargetError("a target needs resourceArns or resourceTags")
    return _select(candidates, str(target.get("selectionMode", "ALL")), choose)


def _select(
    candidates: list[ResolvedFunction],
    mode: str,
    choose: Callable[[list[ResolvedFunction], int], list[ResolvedFunction]],
) -> list[ResolvedFunction]:
    match = _SELECTION.match(mode)
    if match is None:
        raise TargetError(f"selectionMode {mode!r}: expected ALL, COUNT(n) or PERCENT(n)")
    if match.group(1) == "ALL":
        return candidates
    if match.group(2) is not None:
        count = int(match.group(2))
    else:
        count = math.ceil(len(candidates) * int(match.group(3)) / 100)
    return choose(candidates, min(count, len(candidates)))


def _split_arn(arn: str) -> tuple[str, str | None]:
    parts = arn.split(":")
    if len(parts) < 7 or parts[2] != "lambda" or parts[5] != "function":
        raise TargetError(f"{arn!r} is not a Lambda function ARN")
    return parts[6], (parts[7] if len(parts) > 7 else None)

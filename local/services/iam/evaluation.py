"""Identity-based policy evaluation, as IAM does it for one principal's request (pure).

A request is allowed when some statement allows it and none denies it; an explicit deny wins over
any allow; with neither, it is denied implicitly. A statement applies when its ``Action`` (or
``NotAction``) matches the action (case-insensitive, ``*`` and ``?`` wildcards), its ``Resource``
(or ``NotResource``) matches the resource ARN (case-sensitive, the same wildcards) and every one of
its conditions holds (all keys of a block, any value of a key).
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html

Condition operators: String(Not)Equals(IgnoreCase), String(Not)Like, Arn(Not)Equals/Like, Bool,
Numeric*, each with ``IfExists``; a missing key fails a positive operator and satisfies a negated
one (``...IfExists`` is satisfied by a missing key). Not modelled: policy variables (``${aws:…}``),
``ForAnyValue``/``ForAllValues`` set operators, date operators, ``Null``, resource-based policies,
permission boundaries, session policies and SCPs.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any


@dataclass(frozen=True)
class Request:
    action: str  # service:Operation, as IAM names it (s3:PutObject, dynamodb:Query)
    resource: str  # an ARN, or "*" for actions without resource-level permissions
    context: Mapping[str, str] = field(default_factory=dict)  # condition keys, e.g. s3:prefix


class Decision(enum.Enum):
    ALLOW = "allow"
    EXPLICIT_DENY = "explicit deny"
    IMPLICIT_DENY = "implicit deny"


def decide(policies: Iterable[Mapping[str, Any]], request: Request) -> Decision:
    allowed = False
    for policy in policies:
        for statement in _statements(policy):
            if not _applies(statement, request):
                continue
            if statement.get("Effect") == "Deny":
                return Decision.EXPLICIT_DENY
            if statement.get("Effect") == "Allow":
                allowed = True
    return Decision.ALLOW if allowed else Decision.IMPLICIT_DENY


def denial_message(principal_arn: str, request: Request, decision: Decision, *, quote_resource: bool) -> str:
    """AWS's AccessDenied message (S3 quotes the resource, DynamoDB does not)."""
    resource = f'"{request.resource}"' if quote_resource else request.resource
    why = (
        "with an explicit deny in an identity-based policy"
        if decision is Decision.EXPLICIT_DENY
        else f"because no identity-based policy allows the {request.action} action"
    )
    return (
        f"User: {principal_arn} is not authorized to perform: {request.action} on resource: {resource} {why}"
    )


def _statements(policy: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    statements = policy.get("Statement", [])
    return [statements] if isinstance(statements, dict) else list(statements)


def _listed(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else [str(v) for v in value or []]


def _applies(statement: Mapping[str, Any], request: Request) -> bool:
    if "Action" in statement:
        if not any(_matches(p, request.action, ignore_case=True) for p in _listed(statement["Action"])):
            return False
    elif any(_matches(p, request.action, ignore_case=True) for p in _listed(statement.get("NotAction"))):
        return False
    if "Resource" in statement:
        if not any(_matches(p, request.resource) for p in _listed(statement["Resource"])):
            return False
    elif any(_matches(p, request.resource) for p in _listed(statement.get("NotResource"))):
        return False
    return all(
        _condition_holds(operator, key, _listed(values), request.context)
        for operator, block in (statement.get("Condition") or {}).items()
        for key, values in block.items()
    )


@lru_cache(maxsize=4096)
def _pattern(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(f"^{regex}$", re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL)


def _matches(pattern: str, value: str, *, ignore_case: bool = False) -> bool:
    return _pattern(pattern, ignore_case).match(value) is not None


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


_COMPARISONS: dict[str, Callable[[str, str], bool]] = {
    "StringEquals": lambda actual, expected: actual == expected,
    "StringEqualsIgnoreCase": lambda actual, expected: actual.lower() == expected.lower(),
    "StringLike": lambda actual, expected: _matches(expected, actual),
    "ArnEquals": lambda actual, expected: actual == expected,
    "ArnLike": lambda actual, expected: _matches(expected, actual),
    "Bool": lambda actual, expected: actual.lower() == expected.lower(),
    "NumericEquals": lambda a, e: _number(a) is not None and _number(a) == _number(e),
    "NumericLessThan": lambda a, e: None not in (_number(a), _number(e)) and float(a) < float(e),
    "NumericLessThanEquals": lambda a, e: None not in (_number(a), _number(e)) and float(a) <= float(e),
    "NumericGreaterThan": lambda a, e: None not in (_number(a), _number(e)) and float(a) > float(e),
    "NumericGreaterThanEquals": lambda a, e: None not in (_number(a), _number(e)) and float(a) >= float(e),
}
_NEGATED = {
    "StringNotEquals": "StringEquals",
    "StringNotEqualsIgnoreCase": "StringEqualsIgnoreCase",
    "StringNotLike": "StringLike",
    "ArnNotEquals": "ArnEquals",
    "ArnNotLike": "ArnLike",
    "NumericNotEquals": "NumericEquals",
}


def _condition_holds(operator: str, key: str, expected: list[str], context: Mapping[str, str]) -> bool:
    if_exists = operator.endswith("IfExists")
    base = operator.removesuffix("IfExists")
    # Condition keys are case-insensitive.
    actual = next((v for k, v in context.items() if k.lower() == key.lower()), None)
    if base in _NEGATED:
        if actual is None:
            return True
        return not any(_COMPARISONS[_NEGATED[base]](actual, e) for e in expected)
    if base not in _COMPARISONS:
        return False  # an operator not modelled never grants (see the module's note)
    if actual is None:
        return if_exists
    return any(_COMPARISONS[base](actual, e) for e in expected)

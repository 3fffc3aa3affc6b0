"""The account's concurrency quota and Lambda's unreserved minimum: the arithmetic, nothing else.

Lambda keeps part of the account's (per-Region) concurrency quota unreserved, for the functions that
have no reservation: "You can reserve up to the Unreserved account concurrency value minus 100"
(https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html). In an account whose
quota is below 100 (a new account often has 10) the minimum is the whole quota, so nothing can be
reserved at all: users report "... below its minimum value of [10]" with a quota of 10 and "[50]"
with 50 (e.g. https://github.com/awslabs/fhir-works-on-aws-deployment/issues/691,
https://github.com/milliHQ/terraform-aws-next-js/issues/251). Provisioned concurrency of a function
without a reservation is taken from the same unreserved pool
(https://github.com/anomalyco/sst/issues/5829: PutProvisionedConcurrencyConfig refused alike).

The control plane (``moto_patches``) refuses with these numbers; ``local.cloud.stack`` uses them to
decide what the local stack may reserve.
"""

from __future__ import annotations

from collections.abc import Iterable

# An established account's quota (Lambda's default); a new account often starts at 10.
DEFAULT_ACCOUNT_CONCURRENCY = 1000
_UNRESERVED_FLOOR = 100


def unreserved_minimum(quota: int) -> int:
    """What Lambda keeps unreserved: 100, or the whole quota when it is smaller."""
    return min(_UNRESERVED_FLOOR, quota)


def unreserved(quota: int, allocations: Iterable[int]) -> int:
    """The quota less every function's allocation (its reservation, else its provisioned total)."""
    return quota - sum(allocations)


def below_minimum(quota: int, others: Iterable[int], before: int, after: int) -> int | None:
    """The minimum that changing one function's allocation from ``before`` to ``after`` would break
    (the others' allocations unchanged), or None when the change is allowed.

    A change that gives concurrency back is always allowed, so that a quota lowered under existing
    reservations can still be recovered from."""
    if after <= before:
        return None
    minimum = unreserved_minimum(quota)
    return minimum if unreserved(quota, [*others, after]) < minimum else None


def refusal_message(parameter: str, minimum: int) -> str:
    """Lambda's InvalidParameterValueException message (``parameter``: ReservedConcurrentExecutions
    for PutFunctionConcurrency, ConcurrentExecutions for PutProvisionedConcurrencyConfig)."""
    return (
        f"Specified {parameter} for function decreases account's UnreservedConcurrentExecution "
        f"below its minimum value of [{minimum}]."
    )

"""DynamoDB API errors for a share of the calls functions make, answered at the edge instead of
forwarding them to moto: what FIS's ``aws:fis:inject-api-throttle-error`` and
``aws:fis:inject-api-internal-error`` do for the services that support them (EC2, Kinesis),
https://docs.aws.amazon.com/fis/latest/userguide/fis-actions-reference.html#fis-actions-reference-fis

The answer is DynamoDB's own error on its JSON 1.0 protocol: an HTTP status, an ``__type`` naming the
exception, a ``message``
(https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Programming.Errors.html):
400 ``ProvisionedThroughputExceededException`` (a table or index above its capacity: the data-plane
throttle), 400 ``ThrottlingException`` (the control-plane one), 500 ``InternalServerError``. The SDK
retries all three itself before the function sees them.

Differences from FIS: FIS targets an IAM role's calls; here the rule matches calls made by
functions (their SDK's ``exec-env/AWS_Lambda_*`` User-Agent, set from AWS_EXECUTION_ENV), so the
aws CLI, Terraform and the tests' own reads are never refused.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from typing import Any, Final

TARGET_PREFIX: Final = "DynamoDB_20120810."
FUNCTION_USER_AGENT: Final = "exec-env/AWS_Lambda_"

# Exception name -> (HTTP status, __type namespace, message), as DynamoDB answers them.
ERRORS: Final[dict[str, tuple[int, str, str]]] = {
    "ProvisionedThroughputExceededException": (
        400,
        "com.amazonaws.dynamodb.v20120810",
        "The level of configured provisioned throughput for the table was exceeded. "
        "Consider increasing your provisioning level with the UpdateTable API.",
    ),
    "ThrottlingException": (
        400,
        "com.amazon.coral.availability",
        "Rate of requests exceeds the allowed throughput.",
    ),
    "InternalServerError": (500, "com.amazonaws.dynamodb.v20120810", "Internal server error"),
}


@dataclass
class ApiErrorRule:
    """Answer ``error`` to ``percent`` % of the matching calls (``operations``: every one if empty)."""

    error: str
    percent: float
    operations: frozenset[str] = frozenset()
    answered: int = 0  # calls answered with the error so far (the fault's listing shows it)

    @classmethod
    def from_settings(cls, settings: dict[str, Any], default_error: str) -> ApiErrorRule:
        error = str(settings.get("error", default_error))
        if error not in ERRORS:
            raise ValueError(f"error must be one of {sorted(ERRORS)}, not {error!r}")
        percent = float(settings.get("percent", 100))
        if not 0 < percent <= 100:
            raise ValueError(f"percent must be above 0 and at most 100, not {percent}")
        operations = settings.get("operations") or []
        if isinstance(operations, str):
            operations = [part for part in operations.split(",") if part]
        return cls(error, percent, frozenset(str(operation) for operation in operations))

    def answer(
        self, target: str, user_agent: str, rng: random.Random
    ) -> tuple[int, dict[str, str], bytes] | None:
        """The error to answer a call with (status, headers, body), or None to let it through."""
        if not target.startswith(TARGET_PREFIX) or FUNCTION_USER_AGENT not in user_agent:
            return None
        if self.operations and target.removeprefix(TARGET_PREFIX) not in self.operations:
            return None
        if rng.uniform(0, 100) >= self.percent:
            return None
        self.answered += 1
        status, namespace, message = ERRORS[self.error]
        body = json.dumps({"__type": f"{namespace}#{self.error}", "message": message}).encode()
        return status, {"Content-Type": "application/x-amz-json-1.0", "x-amzn-ErrorType": self.error}, body

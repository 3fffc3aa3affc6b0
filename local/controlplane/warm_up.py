"""Warm moto up: one read-only request to each service the root module uses, at a fresh start.

``local.controlplane.server`` starts ``warm_up`` in a thread when it starts empty, so moto's
per-service set-up is done while Terraform still plans, not in the apply's first wave.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable

# One read-only request per service the root module's resources call. moto does much of a
# service's set-up on its first request: it builds the service's app (under the one lock every other
# request waits on), then its request router and its backend. A Terraform apply sends its first
# request to every service within the same second, on a machine busy starting the rest of the local
# cloud, so they queue behind each other; sending them while Terraform still loads its provider and
# plans takes that queue off the apply. A service missing here is still set up on first use.
WARM_UP_CALLS = (
    ("sts", "get_caller_identity"),
    ("s3", "list_buckets"),
    ("iam", "list_roles"),
    ("lambda", "list_functions"),
    ("route53", "list_hosted_zones"),
    ("acm", "list_certificates"),
    ("cloudfront", "list_distributions"),
    ("apigateway", "get_rest_apis"),
    ("dynamodb", "list_tables"),
    ("sqs", "list_queues"),
    ("sns", "list_topics"),
    ("logs", "describe_log_groups"),
    ("cloudwatch", "describe_alarms"),
    ("events", "list_rules"),
)


def warm_up(url: str, calls: Iterable[tuple[str, str]] = WARM_UP_CALLS) -> None:
    """Send ``calls`` (service, read-only operation) to the control plane at ``url`` with boto3, as
    Terraform's first requests arrive; a failure is reported and only costs the speed-up."""
    from local.aws_clients import control_plane_client

    started = time.monotonic()
    warmed = []
    for service, operation in calls:
        try:
            getattr(control_plane_client(service, url, "us-east-1"), operation)()
            warmed.append(service)
        except Exception as error:  # reported; the request Terraform sends is served regardless
            print(f"control plane: warm-up of {service} failed: {error!r}", file=sys.stderr, flush=True)
    print(
        f"control plane: {len(warmed)} services warmed up in {time.monotonic() - started:.1f} s", flush=True
    )

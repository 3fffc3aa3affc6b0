"""boto3 clients for the data planes' reads of the control plane (at start and reload, off the hot path).

The local cloud's fixed placeholder credentials; moto checks no signature. Calls on the request path
use the asynchronous ``local.control_client`` instead.
"""

from __future__ import annotations

from typing import Any

import boto3
from botocore.config import Config


def control_plane_client(service: str, aws_endpoint_url: str, region: str, **config: Any) -> Any:
    """``config`` adds botocore Config options, e.g. ``s3={"addressing_style": "path"}``."""
    return boto3.session.Session().client(  # type: ignore[call-overload]
        service,
        endpoint_url=aws_endpoint_url,
        region_name=region,
        aws_access_key_id="test",
        aws_secret_access_key="test",  # noqa: S106 - moto's placeholder, not a secret
        config=Config(retries={"max_attempts": 2, "mode": "standard"}, **config),
    )

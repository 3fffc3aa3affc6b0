"""The HMAC key of the pagination cursors, read once per execution environment.

Terraform keeps it in an SSM SecureString parameter (terraform/main.tf) and gives the function its
name, not its value: a key in an environment variable shows in the console, in GetFunctionConfiguration
and in Terraform's state. The one GetParameter call happens at the first request that signs or checks
a cursor, on the shared boto3 session (common.aws), and the key is kept for the environment's life;
a rotated key reaches new environments (outstanding cursors then fail as invalid).
"""

from __future__ import annotations

import functools

from common import aws, settings


@functools.cache
def signing_key() -> bytes:
    name = settings.required("CURSOR_SIGNING_KEY_PARAMETER")
    response = aws.client("ssm").get_parameter(Name=name, WithDecryption=True)
    return response["Parameter"]["Value"].encode()


def clear() -> None:
    """Forget the key (tests, between parameters)."""
    signing_key.cache_clear()

"""A function version as the executor reads it from the control plane, for tests that need one
without a control plane: every field a plain default, ``changes`` what a test is about."""

from __future__ import annotations

import dataclasses
from typing import Any

from local.services.lambda_.functions import FunctionVersion

_DEFAULT = FunctionVersion(
    name="fn",
    arn="arn:aws:lambda:us-east-1:123456789012:function:fn",
    version="$LATEST",
    runtime="python3.13",
    handler="app.handler",
    memory_mb=128,
    timeout_s=3.0,
    environment={},
    layers=(),
    code_sha256="",
    code_location="",
    architecture="x86_64",
    tracing_mode="PassThrough",
    log_format="Text",
    log_group="/aws/lambda/fn",
    application_log_level=None,
    system_log_level=None,
    reserved_concurrency=None,
    fingerprint="",
)


def function_version(name: str = "fn", **changes: Any) -> FunctionVersion:
    """A version of function ``name`` (its ARN and log group follow the name)."""
    named = {
        "name": name,
        "arn": f"arn:aws:lambda:us-east-1:123456789012:function:{name}",
        "log_group": f"/aws/lambda/{name}",
    }
    return dataclasses.replace(_DEFAULT, **(named | changes))

"""Invoke's checks before a function runs, in Lambda's order and with its errors.

The executor resolves the function first (404 ``ResourceNotFoundException``) and answers ``DryRun``
before these; then the payload's size (413 ``RequestTooLargeException``, 6 MB synchronous, 1 MB
``Event``), that it is JSON, and that the client context is base64 (400
``InvalidRequestContentException``). What passes is an ``AcceptedInvoke``.

https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html#API_Invoke_Errors
"""

from __future__ import annotations

import base64
from dataclasses import dataclass

import orjson

from local.invoke import MAX_ASYNC_PAYLOAD, MAX_SYNC_PAYLOAD, InvokeError, InvokeRequest
from local.services.lambda_.invocation import Invocation
from local.services.xray.tracing import LambdaTrace


@dataclass(frozen=True)
class AcceptedInvoke:
    """One Invoke call that passed; an asynchronous one is run (and retried) under the same request id."""

    request_id: str
    payload: bytes
    invoked_arn: str
    client_context: str | None
    cognito_identity: str | None
    trace_header: str | None = None  # the caller's X-Amzn-Trace-Id

    def invocation(
        self, trace_id: str, capture_logs: bool = False, trace: LambdaTrace | None = None
    ) -> Invocation:
        return Invocation(
            self.request_id,
            self.payload,
            self.invoked_arn,
            trace_id,
            self.client_context,
            self.cognito_identity,
            capture_logs,
            trace=trace,
        )


def accept(request: InvokeRequest, *, request_id: str, invoked_arn: str) -> AcceptedInvoke:
    """``request`` checked as Lambda checks it; raise InvokeError where Lambda refuses it."""
    payload = request.payload or b"{}"
    event = request.invocation_type == "Event"
    limit = MAX_ASYNC_PAYLOAD if event else MAX_SYNC_PAYLOAD
    if len(payload) > limit:
        operation = "InvokeAsync" if event else "Invoke"
        raise InvokeError(
            413,
            "RequestTooLargeException",
            f"Request must be smaller than {limit} bytes for the {operation} operation",
        )
    _check_json(payload)
    client_context = request.client_context
    if client_context is not None:
        client_context = _decode_client_context(client_context)
    return AcceptedInvoke(
        request_id, payload, invoked_arn, client_context, request.cognito_identity, request.trace_header
    )


def _check_json(payload: bytes) -> None:
    """Lambda refuses a payload that is not JSON (orjson: this runs on every invocation)."""
    try:
        orjson.loads(payload)
    except orjson.JSONDecodeError as error:
        raise InvokeError(
            400,
            "InvalidRequestContentException",
            f"Could not parse request body into json: Could not parse payload into json: {error}",
        ) from error


def _decode_client_context(encoded: str) -> str:
    try:
        return base64.b64decode(encoded, validate=True).decode()
    except (ValueError, UnicodeDecodeError) as error:
        raise InvokeError(
            400,
            "InvalidRequestContentException",
            "Client context must be a valid Base64-encoded JSON object.",
        ) from error

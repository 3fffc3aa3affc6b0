"""The one door to a function: Lambda's Invoke, as the data planes see it.

The API gateway, the schedules and S3 notifications reach functions only through an ``Invoker``,
as their AWS counterparts reach Lambda only through Invoke. The executor implements it in process;
``local.edge`` serves the same operation over the Lambda HTTP API for boto3 and the aws CLI, turning
each HTTP request into an ``InvokeRequest``. Every caller builds the same request and gets the same
``InvokeResult`` or ``InvokeError``, whatever it carries over.

https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Protocol

InvocationType = Literal["RequestResponse", "Event", "DryRun"]
LogType = Literal["Tail"]  # X-Amz-Log-Type; any other value means no log tail, as for Lambda
# The largest payload each kind of Invoke takes.
MAX_SYNC_PAYLOAD = 6 * 1024 * 1024
MAX_ASYNC_PAYLOAD = 1024 * 1024  # 256 KB until Oct 2025, 1 MB since


@dataclass(frozen=True, slots=True)
class InvokeRequest:
    """One Invoke call: the Invoke API's path, query and headers, as fields.

    ``function_name`` is a name, ``name:qualifier``, a partial or a full ARN; ``qualifier`` (the
    ``Qualifier`` query parameter) names a version or alias when the name does not. ``log_type="Tail"``
    asks for the last 4 KB of the log (X-Amz-Log-Type). ``client_context`` is X-Amz-Client-Context as
    sent: base64 JSON, decoded (or refused) by the executor. ``cognito_identity`` is what the runtime
    gets as Lambda-Runtime-Cognito-Identity (Lambda takes it from the caller's credentials; no header).
    ``trace_header`` is the caller's X-Amzn-Trace-Id: the trace (and sampling decision) to continue.
    """

    function_name: str
    payload: bytes = b""
    qualifier: str | None = None
    invocation_type: InvocationType = "RequestResponse"
    log_type: LogType | None = None
    client_context: str | None = None
    cognito_identity: str | None = None
    trace_header: str | None = None


@dataclass(frozen=True)
class InvokeResult:
    """What Lambda's Invoke answers.

    ``status_code`` is the Invoke API status: 200 (RequestResponse), 202 (Event), 204 (DryRun).
    ``function_error`` is the X-Amz-Function-Error header ("Unhandled") when the function failed;
    ``payload`` is then Lambda's error JSON ({"errorMessage", "errorType", "stackTrace"?}).
    """

    status_code: int
    payload: bytes = b""
    function_error: str | None = None
    executed_version: str = "$LATEST"
    log_tail: str = ""
    headers: dict[str, str] = field(default_factory=dict)


class InvokeError(Exception):
    """Invoke refused before the function ran: the Lambda service error, not a function error.

    ``error_type`` is Lambda's error code, e.g. ``TooManyRequestsException`` (429, concurrency
    limit reached), ``ResourceNotFoundException`` (404), ``InvalidRequestContentException`` (400),
    ``RequestTooLargeException`` (413), ``ServiceException`` (500).
    """

    def __init__(self, status_code: int, error_type: str, message: str, reason: str | None = None) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.error_type = error_type
        self.message = message
        self.reason = reason  # e.g. "ReservedFunctionConcurrentInvocationLimitExceeded"


class Invoker(Protocol):
    async def invoke(self, request: InvokeRequest) -> InvokeResult:
        """Run ``request`` as Lambda's Invoke does; raise InvokeError when Lambda itself refuses it."""
        ...

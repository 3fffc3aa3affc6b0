"""A subsegment per AWS SDK call, recorded through botocore's public event system.

What it records is what the X-Ray SDK's botocore patch records (aws-xray-sdk 2.15,
``ext/botocore/patch.py``, ``ext/boto_utils.py``, ``resources/aws_para_whitelist.json``), on a
subsegment in namespace "aws" named after the service's endpoint prefix ("dynamodb", "s3"), which
is how X-Ray draws the service (https://docs.aws.amazon.com/xray/latest/devguide/xray-api-segmentdocuments.html#api-segmentdocuments-aws):
``aws.operation``, ``aws.region``, ``aws.request_id`` (S3 also ``id_2``), the request and response
parameters the SDK lists for the operation (``table_name``, ``bucket_name``, ``key``…),
``http.response.status`` and its error / throttle / fault flags, and a failed call's ``ClientError``
as a remote exception. It adds ``aws.retries`` (botocore's count), which the other X-Ray SDKs
record and the Python one does not; a map's keys are sent as a list (the Python SDK sends the str()
of a ``dict_keys``). Each call's request carries the trace header naming its subsegment, so a
service that traces (S3 to its notifications) continues the trace.

Events, per client (``common.aws.on_new_client``): ``before-parameter-build`` (the parameters as
the caller gave them; the start time), ``before-call`` (the subsegment, the header), then exactly one
of ``after-call`` (an answer, error or not) or ``after-call-error`` (no answer: connection errors,
or an error a ``needs-retry`` handler raised). A call that fails before ``before-call`` (invalid
parameters) records nothing; the SDK records it without an error.
"""

from __future__ import annotations

import functools
import logging
import re
import time
import traceback
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final

from common.xray_subsegment import Subsegment

if TYPE_CHECKING:
    from common.xray import XRayProvider

logger = logging.getLogger(__name__)

_CONTEXT_KEY: Final = "xray_subsegment"
_TRACE_HEADER: Final = "X-Amzn-Trace-Id"
# The X-Ray SDK's own calls to X-Ray are not traced (it never makes them here; kept for fidelity).
_UNTRACED: Final = frozenset(
    {("xray", "GetSamplingRules"), ("xray", "GetSamplingTargets"), ("xray", "PutTraceSegments")}
)

# What is recorded per operation, for the services the functions call (the operations they call and
# a few more), from the SDK's list:
# (request parameters, {request parameter: (field, how)}, response parameters,
# {response field: (field, how)}); how: "" the value, "keys" a map's keys, "count" a list's length.
# Parameter names become snake_case fields.
_Spec = tuple[tuple[str, ...], dict[str, tuple[str, str]], tuple[str, ...], dict[str, tuple[str, str]]]
_WRITE: Final = ("ConsumedCapacity", "ItemCollectionMetrics")
_READ: Final = ("AttributesToGet", "ConsistentRead", "IndexName", "Limit", "ProjectionExpression")
_TABLES: Final = {"RequestItems": ("table_names", "keys")}
_BUCKET: Final = {"Bucket": ("bucket_name", "")}
RECORDED: Final[dict[str, dict[str, _Spec]]] = {
    "dynamodb": {
        "BatchGetItem": ((), _TABLES, ("ConsumedCapacity",), {}),
        "BatchWriteItem": ((), _TABLES, _WRITE, {}),
        "CreateTable": (
            ("GlobalSecondaryIndexes", "LocalSecondaryIndexes", "ProvisionedThroughput", "TableName"),
            {},
            (),
            {},
        ),
        "DeleteTable": (("TableName",), {}, (), {}),
        "DescribeTable": (("TableName",), {}, (), {}),
        "DeleteItem": (("TableName",), {}, _WRITE, {}),
        "GetItem": (("ConsistentRead", "ProjectionExpression", "TableName"), {}, ("ConsumedCapacity",), {}),
        "PutItem": (("TableName",), {}, _WRITE, {}),
        "Query": (
            (*_READ, "ScanIndexForward", "Select", "TableName"),
            {},
            ("ConsumedCapacity",),
            {},
        ),
        "Scan": (
            (*_READ, "Segment", "Select", "TableName", "TotalSegments"),
            {},
            ("ConsumedCapacity", "Count", "ScannedCount"),
            {},
        ),
        "UpdateItem": (("TableName",), {}, _WRITE, {}),
    },
    "s3": {
        "CopyObject": (("CopySource", "Bucket", "Key"), {}, (), {}),
        "CreateBucket": ((), _BUCKET, (), {}),
        "DeleteObject": (("Key",), _BUCKET, (), {}),
        "DeleteObjects": ((), _BUCKET, (), {}),
        "GetObject": (("Key", "VersionId"), _BUCKET, (), {}),
        "ListObjectsV2": (("Prefix",), _BUCKET, (), {}),
        "PutObject": (("Key",), _BUCKET, (), {}),
    },
    "sqs": {
        "DeleteMessage": (("QueueUrl",), {}, (), {}),
        "DeleteMessageBatch": (("QueueUrl",), {}, ("Failed",), {}),
        "ReceiveMessage": (
            (
                "AttributeNames",
                "MaxNumberOfMessages",
                "MessageAttributeNames",
                "QueueUrl",
                "VisibilityTimeout",
                "WaitTimeSeconds",
            ),
            {},
            (),
            {"Messages": ("message_count", "count")},
        ),
        "SendMessage": (
            ("DelaySeconds", "QueueUrl"),
            {"MessageAttributes": ("message_attribute_names", "keys")},
            ("MessageId",),
            {},
        ),
    },
}


class Recorder:
    """Records the AWS calls of the clients it instruments as subsegments of ``provider``."""

    def __init__(self, provider: XRayProvider) -> None:
        self.provider = provider

    def instrument(self, client: Any) -> None:
        events = client.meta.events
        # On "<event>.*.*" (every service and operation), first: botocore calls the handlers of the
        # most specific names first, and a handler answering in the call's place (botocore's
        # Stubber, on "before-call.*.*") must not skip these.
        events.register_first(
            "before-parameter-build.*.*", _safe(self._parameters), unique_id="xray-parameters"
        )
        events.register_first("before-call.*.*", _safe(self._begin), unique_id="xray-begin")
        answered = functools.partial(self._answered, client)
        events.register("after-call.*.*", _safe(answered), unique_id="xray-answer")
        events.register("after-call-error.*.*", _safe(self._failed), unique_id="xray-error")

    def _parameters(self, params: Any, model: Any, context: dict[str, Any], **_: Any) -> None:
        service, operation = model.service_model.endpoint_prefix, model.name
        if (service, operation) in _UNTRACED:
            return
        spec = RECORDED.get(service, {}).get(operation)
        recorded = _pick(spec[0], spec[1], params) if spec and isinstance(params, dict) else {}
        context[_CONTEXT_KEY] = _Call(service, operation, time.time(), recorded, spec)

    def _begin(self, model: Any, params: Any, context: dict[str, Any], **_: Any) -> None:
        call = context.get(_CONTEXT_KEY)
        if not isinstance(call, _Call):
            return
        parent = self.provider.current()
        # Not made the innermost open subsegment: nothing nests under an SDK call, and a call that
        # never answers (an exception between events) leaves no open parent behind, and is not sent.
        subsegment = self.provider.subsegment(call.service, "aws")
        subsegment.start_time = call.started
        subsegment.aws = {
            "operation": call.operation,
            "region": context.get("client_region"),
            **call.recorded,
        }
        call.subsegment, call.parent = subsegment, parent
        header = subsegment.header
        if header is not None and isinstance(params.get("headers"), dict):
            params["headers"][_TRACE_HEADER] = header.for_call(subsegment.id, header.sampled == "1")

    def _answered(
        self, client: Any, http_response: Any, parsed: Any, context: dict[str, Any], **_: Any
    ) -> None:
        call = context.pop(_CONTEXT_KEY, None)
        if not isinstance(call, _Call) or call.subsegment is None:
            return
        subsegment = call.subsegment
        metadata = parsed.get("ResponseMetadata", {}) if isinstance(parsed, dict) else {}
        _record_metadata(subsegment, metadata)
        if http_response.status_code >= 300:
            code = context.get("error_code_override") or parsed.get("Error", {}).get("Code")
            # The exception botocore raises next, built as it builds it (its type and message).
            error = client.exceptions.from_code(code)(parsed, call.operation)
            subsegment.add_exception(error, _caller_stack(), remote=True)
            if isinstance(call.parent, Subsegment) and isinstance(subsegment.cause, dict):
                call.parent.child_errors.append((parsed, subsegment.cause["exceptions"][-1]["id"]))
        else:
            if "x-amz-id-2" in metadata.get("HTTPHeaders", {}):
                subsegment.aws["id_2"] = metadata["HTTPHeaders"]["x-amz-id-2"]
            if call.spec:
                subsegment.aws.update(_pick(call.spec[2], call.spec[3], parsed))
        self._finish(subsegment)

    def _failed(self, exception: BaseException, context: dict[str, Any], **_: Any) -> None:
        call = context.pop(_CONTEXT_KEY, None)
        if not isinstance(call, _Call) or call.subsegment is None:
            return
        response = getattr(exception, "response", None)
        # A ClientError without an answer (raised by a needs-retry handler) is recorded as the SDK
        # records any ClientError; another error (no connection) is not recorded, as in the SDK.
        if isinstance(response, dict) and "Error" in response:
            _record_metadata(call.subsegment, response.get("ResponseMetadata", {}))
            # Raised before botocore counted its retries in the answer: its attempts so far, then.
            attempts = context.get("retries", {}).get("attempt")
            if isinstance(attempts, int):
                call.subsegment.aws.setdefault("retries", attempts - 1)
            call.subsegment.add_exception(exception, _caller_stack(), remote=True)
        self._finish(call.subsegment)

    def _finish(self, subsegment: Subsegment) -> None:
        subsegment.close()
        self.provider.send(subsegment)


def _safe(handler: Callable[..., None]) -> Callable[..., None]:
    """``handler``, which never fails the AWS call it records (and never answers in its place)."""

    def recording(**kwargs: Any) -> None:
        try:
            handler(**kwargs)
        except Exception:  # tracing never fails the function
            logger.exception("Could not record an AWS call for X-Ray")

    return recording


class _Call:
    """One AWS call in flight, kept in botocore's per-call context."""

    def __init__(
        self, service: str, operation: str, started: float, recorded: dict[str, Any], spec: Any
    ) -> None:
        self.service, self.operation, self.started = service, operation, started
        self.recorded, self.spec = recorded, spec
        self.subsegment: Subsegment | None = None
        self.parent: Subsegment | None = None


def _record_metadata(subsegment: Subsegment, metadata: dict[str, Any]) -> None:
    if metadata.get("RequestId"):
        subsegment.aws["request_id"] = metadata["RequestId"]
    if "RetryAttempts" in metadata:
        subsegment.aws["retries"] = metadata["RetryAttempts"]
    subsegment.set_status(metadata.get("HTTPStatusCode"))


def _pick(
    names: tuple[str, ...], derived: dict[str, tuple[str, str]], values: dict[str, Any]
) -> dict[str, Any]:
    picked = {snake_case(name): values[name] for name in names if name in values}
    for name, (field, how) in derived.items():
        if name in values:
            value = values[name]
            picked[field] = list(value) if how == "keys" else len(value) if how == "count" else value
    return picked


_WORD_START: Final = re.compile(r"(.)([A-Z][a-z]+)")
_ACRONYM_END: Final = re.compile(r"([a-z0-9])([A-Z])")


def snake_case(name: str) -> str:
    """``TableName`` -> ``table_name``, ``QueueUrl`` -> ``queue_url``, as the SDK converts them."""
    return _ACRONYM_END.sub(r"\1_\2", _WORD_START.sub(r"\1_\2", name)).lower()


def _caller_stack() -> list[Any]:
    return list(traceback.extract_stack()[:-2])

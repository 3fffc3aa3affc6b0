"""One X-Ray subsegment and its segment document, as the X-Ray SDK for Python builds them.

Fields and rules from the segment document reference
(https://docs.aws.amazon.com/xray/latest/devguide/xray-api-segmentdocuments.html) and from what the
SDK (aws-xray-sdk 2.15, ``core/models/entity.py``, ``subsegment.py``, ``throwable.py``) actually
sends, since the X-Ray console and our local X-Ray read what it sends: ids are 16 random hex digits;
times are epoch seconds as floats; empty fields are left out, ``in_progress`` is sent as ``false``
once closed (we never send an open one); annotations whose key is not ``[A-Za-z0-9_]`` or whose value
is not a string, number or boolean are dropped with a warning (as the SDK does; X-Ray could not filter
on them); metadata is converted to JSON-able data when sent and the ``AWS.`` namespace is reserved;
an exception sets ``fault`` and is recorded once: a parent it propagates to refers to it by id.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import time
from typing import Any, Final

from aws_lambda_powertools.tracing.base import BaseSegment

logger = logging.getLogger(__name__)

# Characters X-Ray does not take in a name (the SDK strips the same ones).
_INVALID_NAME_CHARACTERS: Final = frozenset("?;*()!$~^<>")
_ANNOTATION_KEY_CHARACTERS: Final = frozenset(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_"
)
# Stack frames recorded per exception: the SDK's default ``max_trace_back``.
MAX_STACK_FRAMES: Final = 10
# Where X-Ray's own and this provider's frames are: left out of recorded stacks, as the SDK leaves
# out its own.
_OWN_FRAMES: Final = (os.path.dirname(__file__) + os.sep + "xray", "botocore" + os.sep + "hooks.py")
# Set on an exception once recorded, so an enclosing subsegment refers to it instead of repeating it.
_CAUSE_ID_ATTRIBUTE: Final = "_xray_cause_id"


def new_id() -> str:
    """A segment, subsegment or exception id: 64 random bits as 16 lowercase hex digits."""
    return os.urandom(8).hex()


class Subsegment(BaseSegment):
    """A subsegment under ``parent_id`` in ``trace_id``; ``namespace`` is "local" for our own code,
    "aws" for an AWS SDK call. Its document is sent by whoever closes it (the provider)."""

    sampled = True

    def __init__(self, name: str, trace_id: str, parent_id: str, namespace: str = "local") -> None:
        clean = "".join(c for c in name if c not in _INVALID_NAME_CHARACTERS)
        if clean != name:
            logger.warning("Removed characters X-Ray does not allow from the subsegment name %r", name)
        self.id = new_id()
        self.name = clean
        self.trace_id = trace_id
        self.parent_id = parent_id
        self.namespace = namespace
        self.start_time = time.time()
        self.end_time: float | None = None
        self.annotations: dict[str, str | int | float | bool] = {}
        self.metadata: dict[str, dict[str, Any]] = {}
        self.aws: dict[str, Any] = {}
        self.http: dict[str, Any] = {}
        self.cause: dict[str, Any] | str = {}
        self.flags: dict[str, bool] = {}
        # (response, cause id) of AWS calls under this one that failed: the ClientError botocore
        # raises afterwards is a new object, recognised here by its response (see add_exception).
        self.child_errors: list[tuple[Any, str]] = []
        # The trace header it was opened under (a common.xray.TraceHeader): what calls it makes pass on.
        self.header: Any = None

    @property
    def in_progress(self) -> bool:
        return self.end_time is None

    def close(self, end_time: float | None = None) -> None:
        if self.end_time is None:
            self.end_time = end_time or time.time()

    # Child subsegments are sent on their own, each naming its parent (as the SDK does on Lambda,
    # where it streams every closed subsegment at once): nothing is kept here.
    def add_subsegment(self, subsegment: Any) -> None:
        subsegment.parent_id = self.id

    def remove_subsegment(self, subsegment: Any) -> None:
        pass

    def put_annotation(self, key: str, value: Any) -> None:
        if not isinstance(key, str) or not key or not set(key) <= _ANNOTATION_KEY_CHARACTERS:
            logger.warning("Ignoring annotation %r: X-Ray keys are letters, digits and underscores", key)
            return
        if not isinstance(value, str | int | float | bool):
            logger.warning("Ignoring annotation %r: its value is a %s", key, type(value).__name__)
            return
        self.annotations[key] = value

    def put_metadata(self, key: str, value: Any, namespace: str = "default") -> None:
        if not isinstance(namespace, str):
            logger.warning("Ignoring metadata %r: its namespace is not a string", key)
            return
        if namespace.startswith("AWS."):
            logger.warning("Ignoring metadata %r: the namespace prefix 'AWS.' is reserved", key)
            return
        self.metadata.setdefault(namespace, {})[key] = value

    def set_status(self, status: int | None) -> None:
        """``http.response.status`` and the flags X-Ray reads from it: 5xx fault, 429 throttle and
        error, other 4xx error."""
        if not status:
            return
        self.http.setdefault("response", {})["status"] = status
        if status >= 500:
            self.flags["fault"] = True
        elif status == 429:
            self.flags["throttle"] = self.flags["error"] = True
        elif status >= 400:
            self.flags["error"] = True

    def add_exception(self, exception: BaseException, stack: Any, remote: bool = False) -> None:
        """Record ``exception`` (``stack``: ``traceback`` frames) as the cause; sets ``fault``, as the
        SDK does for every recorded exception."""
        self.flags["fault"] = True
        known = getattr(exception, _CAUSE_ID_ATTRIBUTE, None) or self._child_error_id(exception)
        if known:
            self.cause = known
            return
        if not isinstance(self.cause, dict):
            self.cause = {}
        record = _exception_record(exception, stack, remote)
        self.cause.setdefault("exceptions", []).append(record)
        self.cause["working_directory"] = os.getcwd()
        # (An exception type without a __dict__ is recorded again by each enclosing subsegment.)
        with contextlib.suppress(AttributeError):
            setattr(exception, _CAUSE_ID_ATTRIBUTE, record["id"])

    def _child_error_id(self, exception: BaseException) -> str | None:
        response = getattr(exception, "response", None)
        for child_response, cause_id in self.child_errors:
            if response is child_response:
                return cause_id
        return None

    def document(self) -> dict[str, Any]:
        """The subsegment document, empty fields left out, as the SDK serialises it."""
        document: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "start_time": self.start_time,
            "trace_id": self.trace_id,
            "parent_id": self.parent_id,
            "type": "subsegment",
            "namespace": self.namespace,
        }
        if self.end_time is None:
            document["in_progress"] = True
        else:
            document["end_time"] = self.end_time
            document["in_progress"] = False
        document.update(self.flags)
        for field in ("annotations", "aws", "http", "cause"):
            value = getattr(self, field)
            if value:
                document[field] = value
        if self.metadata:
            document["metadata"] = jsonable(self.metadata)
        return document


def serialise(document: dict[str, Any]) -> str:
    # default=str, as the SDK: what JSON cannot hold (a datetime, a Decimal) is sent as its str().
    return json.dumps(document, default=str)


def _exception_record(exception: BaseException, stack: Any, remote: bool) -> dict[str, Any]:
    record: dict[str, Any] = {"id": new_id(), "type": type(exception).__name__}
    # An exception whose str() fails is still recorded, without a message.
    with contextlib.suppress(Exception):
        record["message"] = str(exception)
    record["remote"] = remote  # sent when false too, as the SDK sends it
    frames = [
        {"path": os.path.basename(frame[0]), "line": frame[1], "label": frame[2].strip()}
        for frame in stack or ()
        if not any(own in frame[0] for own in _OWN_FRAMES)
    ]
    if frames:
        record["stack"] = frames[-MAX_STACK_FRAMES:]
    return record


def jsonable(value: Any) -> Any:
    """``value`` as JSON-able data, as the SDK converts metadata: mappings and iterables
    recursively, a class as its name, any other object as its public non-callable attributes."""
    try:
        return _converted(value)
    except Exception:  # metadata never breaks the function; it is dropped instead
        logger.warning("Could not convert metadata of type %s; dropped", type(value).__name__)
        return {}


def _converted(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: jsonable(item) for key, item in value.items()}
    if isinstance(value, type):
        return str(value)
    if isinstance(value, str | int | float | bool) or value is None:
        converted: Any = value
    elif hasattr(value, "__iter__"):
        converted = [jsonable(item) for item in value]
    elif hasattr(value, "__dict__"):
        public = {
            key: item for key, item in vars(value).items() if not key.startswith("_") and not callable(item)
        }
        converted = {key: jsonable(item) for key, item in public.items()}
    else:
        converted = value
    return converted

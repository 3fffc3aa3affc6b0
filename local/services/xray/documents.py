"""X-Ray segment documents: validation, walking the subsegment tree, assembling a trace.

Follows https://docs.aws.amazon.com/xray/latest/devguide/xray-api-segmentdocuments.html: a segment
has ``name``, ``id`` (16 hex digits), ``trace_id`` (``1-<8 hex>-<24 hex>``), ``start_time`` and either
``end_time`` or ``in_progress: true``; a subsegment sent on its own also has ``type: "subsegment"``
and the ``parent_id`` it belongs under. X-Ray assembles such subsegments into their parent's tree and
adds an *inferred* segment for each call to an AWS service or remote API (``namespace`` "aws" or
"remote") that did not itself send a segment, which is how DynamoDB and S3 show up in a trace and on
the service map; ``assemble`` does both.
"""

from __future__ import annotations

import copy
import hashlib
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

Document = dict[str, Any]

TRACE_ID = re.compile(r"^1-[0-9a-f]{8}-[0-9a-f]{24}$")
SEGMENT_ID = re.compile(r"^[0-9a-f]{16}$")
MAX_NAME_LENGTH = 200

# The names and origins X-Ray gives inferred segments of the AWS services the SDKs instrument (the
# Python SDK names its subsegments by endpoint prefix: "dynamodb", "s3").
_INFERRED = {
    "dynamodb": ("DynamoDB", "AWS::DynamoDB::Table"),
    "s3": ("S3", "AWS::S3::Bucket"),
    "sqs": ("SQS", "AWS::SQS::Queue"),
    "sns": ("SNS", "AWS::SNS::Topic"),
    "lambda": ("Lambda", "AWS::Lambda"),
    "eventbridge": ("EventBridge", "AWS::Events"),
    "events": ("EventBridge", "AWS::Events"),
    "kinesis": ("Kinesis", "AWS::Kinesis::Stream"),
    "stepfunctions": ("StepFunctions", "AWS::StepFunctions::StateMachine"),
    "states": ("StepFunctions", "AWS::StepFunctions::StateMachine"),
}


class InvalidDocument(ValueError):
    """A segment document X-Ray would refuse (the message says why)."""


def validate(document: Any) -> Document:
    """``document`` if it is a segment or an independently sent subsegment, else InvalidDocument."""
    if not isinstance(document, dict):
        raise InvalidDocument("a segment document is a JSON object")
    for key in ("name", "id", "trace_id", "start_time"):
        if key not in document:
            raise InvalidDocument(f"missing required field {key!r}")
    name, segment_id, trace_id = document["name"], document["id"], document["trace_id"]
    if not isinstance(name, str) or not name or len(name) > MAX_NAME_LENGTH:
        raise InvalidDocument(f"name must be 1-{MAX_NAME_LENGTH} characters")
    if not isinstance(segment_id, str) or not SEGMENT_ID.match(segment_id):
        raise InvalidDocument(f"id {segment_id!r} is not 16 hexadecimal digits")
    if not isinstance(trace_id, str) or not TRACE_ID.match(trace_id):
        raise InvalidDocument(f"trace_id {trace_id!r} is not of the form 1-<8 hex>-<24 hex>")
    if not _is_number(document["start_time"]):
        raise InvalidDocument("start_time must be a number (epoch seconds)")
    if document.get("in_progress") is not True and not _is_number(document.get("end_time")):
        raise InvalidDocument("end_time is required unless in_progress is true")
    if document.get("type") == "subsegment" and not isinstance(document.get("parent_id"), str):
        raise InvalidDocument("a subsegment sent on its own needs parent_id")
    return document


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def is_subsegment(document: Document) -> bool:
    return document.get("type") == "subsegment"


def is_complete(document: Document) -> bool:
    return document.get("in_progress") is not True


def walk(node: Document) -> Iterator[Document]:
    """``node`` and every subsegment under it, depth first."""
    yield node
    for child in node.get("subsegments") or ():
        if isinstance(child, dict):
            yield from walk(child)


def end_time(node: Document) -> float:
    """When ``node`` ended; an in-progress one has not yet, so it ends where it started."""
    value = node.get("end_time")
    return float(value) if isinstance(value, int | float) else float(node["start_time"])


def duration(node: Document) -> float:
    return max(0.0, end_time(node) - float(node["start_time"]))


@dataclass(frozen=True)
class Flags:
    error: bool = False
    fault: bool = False
    throttle: bool = False

    @classmethod
    def of(cls, node: Document) -> Flags:
        return cls(node.get("error") is True, node.get("fault") is True, node.get("throttle") is True)


def subtree_flags(node: Document) -> Flags:
    """Error, fault and throttle anywhere in ``node``'s tree."""
    error = fault = throttle = False
    for item in walk(node):
        error = error or item.get("error") is True
        fault = fault or item.get("fault") is True
        throttle = throttle or item.get("throttle") is True
    return Flags(error, fault, throttle)


@dataclass(frozen=True)
class Assembled:
    """One trace as BatchGetTraces shows it: segments with their subsegments in place."""

    segments: list[Document]
    # Independently sent subsegments whose parent has not arrived (the trace is then partial).
    orphans: list[Document]

    @property
    def is_partial(self) -> bool:
        return bool(self.orphans) or any(not is_complete(node) for s in self.segments for node in walk(s))


def assemble(documents: Iterable[Document]) -> Assembled:
    """Segments with separately sent subsegments grafted under their parents, plus inferred segments.

    The stored documents are not changed: grafting works on copies.
    """
    segments: list[Document] = []
    pending: list[Document] = []
    for document in documents:
        (pending if is_subsegment(document) else segments).append(document)
    segments = [copy.deepcopy(s) for s in segments]
    index = {node["id"]: node for segment in segments for node in walk(segment)}
    # A subsegment's parent may itself be a separately sent subsegment: graft until nothing moves.
    while pending:
        placed = [sub for sub in pending if sub["parent_id"] in index]
        if not placed:
            break
        for sub in placed:
            child = {
                k: v for k, v in copy.deepcopy(sub).items() if k not in ("type", "trace_id", "parent_id")
            }
            parent = index[sub["parent_id"]]
            siblings = parent.setdefault("subsegments", [])
            # A subsegment streamed on its own replaces an embedded copy with the same id.
            parent["subsegments"] = [s for s in siblings if s.get("id") != child["id"]] + [child]
            for node in walk(child):
                index[node["id"]] = node
        placed_ids = {id(sub) for sub in placed}
        pending = [sub for sub in pending if id(sub) not in placed_ids]
    return Assembled(segments + _inferred_segments(segments), pending)


def _inferred_segments(segments: list[Document]) -> list[Document]:
    parents = {s.get("parent_id") for s in segments}
    inferred: list[Document] = []
    for segment in segments:
        for node in walk(segment):
            if node is segment or node.get("namespace") not in ("aws", "remote") or node["id"] in parents:
                continue
            document: Document = {
                "id": hashlib.sha1(node["id"].encode(), usedforsecurity=False).hexdigest()[:16],
                "name": inferred_name(node),
                "trace_id": segment["trace_id"],
                "parent_id": node["id"],
                "start_time": node["start_time"],
                "end_time": end_time(node),
                "inferred": True,
            }
            origin = inferred_origin(node)
            if origin is not None:
                document["origin"] = origin
            for key in ("http", "aws", "error", "fault", "throttle", "cause"):
                if key in node:
                    document[key] = node[key]
            inferred.append(document)
    return inferred


def inferred_name(node: Document) -> str:
    """The service name X-Ray gives the inferred segment of an AWS call or remote API."""
    known = _INFERRED.get(str(node["name"]).lower()) if node.get("namespace") == "aws" else None
    return known[0] if known else str(node["name"])


def inferred_origin(node: Document) -> str | None:
    """The resource type X-Ray gives the inferred segment of an AWS call; None for a remote API."""
    if node.get("namespace") != "aws":
        return None
    known = _INFERRED.get(str(node["name"]).lower())
    return known[1] if known else f"AWS::{node['name']}"


def service_type(segment: Document) -> str | None:
    """The node type the service graph shows: the segment's origin (inferred remote calls: "remote")."""
    origin = segment.get("origin")
    if isinstance(origin, str):
        return origin
    return "remote" if segment.get("inferred") else None


def root_segment(segments: list[Document]) -> Document | None:
    """The entry point: the earliest segment whose parent is not in the trace."""
    ids = {node["id"] for s in segments for node in walk(s)}
    roots = [s for s in segments if s.get("parent_id") not in ids]
    return min(roots, key=lambda s: float(s["start_time"]), default=None)

"""OTLP/HTTP traces (``POST /v1/traces``) turned into X-Ray segment documents, stored with the rest.

The request is an ExportTraceServiceRequest, protobuf (``application/x-protobuf``) or JSON
(``application/json``), as https://opentelemetry.io/docs/specs/otlp/#otlphttp specifies. Spans map to
segments the way the ADOT collector's X-Ray exporter maps them
(https://aws-otel.github.io/docs/getting-started/x-ray#otel-span-to-x-ray-segment-conversion):

- trace id ``5b8efff798038103d269b633813fc60c`` -> ``1-5b8efff7-98038103d269b633813fc60c``, span id
  -> segment id;
- a span without a parent, or a SERVER / CONSUMER span, is a segment named after the resource's
  ``service.name`` (with its ``parent_id`` when continuing a remote parent); other spans are
  subsegments of their parent, CLIENT / PRODUCER ones in namespace ``aws`` (``rpc.system`` aws-api,
  named after ``rpc.service``) or ``remote``;
- status ERROR is a fault; an HTTP status 4xx an error (429 also a throttle), 5xx a fault;
  ``exception`` events are the cause's exceptions;
- attributes named in the ``aws.xray.annotations`` attribute become annotations (the exporter's
  indexed attributes), every attribute is metadata under ``default``.
"""

from __future__ import annotations

import base64
import gzip
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from google.protobuf import json_format
from google.protobuf.message import DecodeError
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2

from local.services.xray.documents import Document, InvalidDocument

PATH = "/v1/traces"
PROTOBUF = "application/x-protobuf"
JSON = "application/json"
MAX_BODY_BYTES = 16 * 1024 * 1024

_KIND_SERVER, _KIND_CLIENT, _KIND_PRODUCER, _KIND_CONSUMER = 2, 3, 4, 5
_KIND_NAMES = {"SPAN_KIND_SERVER": 2, "SPAN_KIND_CLIENT": 3, "SPAN_KIND_PRODUCER": 4, "SPAN_KIND_CONSUMER": 5}
_STATUS_ERROR = 2
_ANNOTATION_KEY = re.compile(r"[^A-Za-z0-9_]")
_ORIGINS = {
    "aws_lambda": "AWS::Lambda::Function",
    "aws_ec2": "AWS::EC2::Instance",
    "aws_ecs": "AWS::ECS::Container",
    "aws_eks": "AWS::EKS::Container",
    "aws_elastic_beanstalk": "AWS::ElasticBeanstalk::Environment",
}


@dataclass(frozen=True)
class OtlpResponse:
    status: int
    content_type: str
    body: bytes


def to_xray_trace_id(otel_trace_id: str) -> str:
    return f"1-{otel_trace_id[:8]}-{otel_trace_id[8:]}"


def ingest(
    body: bytes, content_type: str, put: Callable[[Document], None], content_encoding: str | None = None
) -> OtlpResponse:
    """Decode an export request, store its spans with ``put`` and answer as an OTLP receiver does."""
    media = content_type.split(";", maxsplit=1)[0].strip().lower()
    if media not in (PROTOBUF, JSON):
        return OtlpResponse(415, "text/plain", f"unsupported content type {media!r}".encode())
    try:
        # A server that decompressed the body already leaves the header: look at the bytes too.
        if (content_encoding or "").lower() == "gzip" and body[:2] == b"\x1f\x8b":
            body = gzip.decompress(body)
        if len(body) > MAX_BODY_BYTES:
            raise ValueError(f"request body over {MAX_BODY_BYTES} bytes")
        request = _decode(body, media)
    except (ValueError, OSError, DecodeError, EOFError) as error:
        return _error(media, f"cannot decode the export request: {error}")
    rejected, messages = 0, []
    for document in segment_documents(request):
        try:
            put(document)
        except InvalidDocument as error:
            rejected += 1
            messages.append(str(error))
    return _success(media, rejected, "; ".join(dict.fromkeys(messages)))


def _decode(body: bytes, media: str) -> dict[str, Any]:
    if media == JSON:
        request = json.loads(body or b"{}")
        if not isinstance(request, dict):
            raise ValueError("the export request is a JSON object")
        return request
    message = trace_service_pb2.ExportTraceServiceRequest()
    message.ParseFromString(body)
    request = json_format.MessageToDict(message, use_integers_for_enums=True)
    # The protobuf JSON mapping writes bytes as base64; OTLP/JSON writes ids in hex.
    for resource_spans in request.get("resourceSpans", ()):
        for scope_spans in resource_spans.get("scopeSpans", ()):
            for span in scope_spans.get("spans", ()):
                for key in ("traceId", "spanId", "parentSpanId"):
                    if key in span:
                        span[key] = base64.b64decode(span[key]).hex()
    return request


def _success(media: str, rejected: int, message: str) -> OtlpResponse:
    response = trace_service_pb2.ExportTraceServiceResponse()
    if rejected:
        response.partial_success.rejected_spans = rejected
        response.partial_success.error_message = message
    if media == JSON:
        return OtlpResponse(200, JSON, json_format.MessageToJson(response, indent=None).encode())
    return OtlpResponse(200, PROTOBUF, response.SerializeToString())


def _error(media: str, message: str) -> OtlpResponse:
    """400 with a google.rpc.Status (code 3, INVALID_ARGUMENT) in the request's encoding."""
    if media == JSON:
        return OtlpResponse(400, JSON, json.dumps({"code": 3, "message": message}).encode())
    text = message.encode()
    return OtlpResponse(400, PROTOBUF, b"\x08\x03\x12" + _varint(len(text)) + text)


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


_SCALARS: dict[str, Callable[[Any], Any]] = {
    "stringValue": str,
    "boolValue": bool,
    "intValue": int,  # int64 is a string in OTLP/JSON
    "doubleValue": float,
    "bytesValue": str,  # base64, kept as it came
}


def _value(any_value: Any) -> Any:
    """An OTLP AnyValue as a plain JSON value."""
    if not isinstance(any_value, dict):
        return None
    for key, convert in _SCALARS.items():
        if key in any_value:
            return convert(any_value[key])
    if "arrayValue" in any_value:
        return [_value(v) for v in (any_value["arrayValue"] or {}).get("values", ())]
    if "kvlistValue" in any_value:
        return _attributes((any_value["kvlistValue"] or {}).get("values", ()))
    return None


def _attributes(items: Any) -> dict[str, Any]:
    return {
        item["key"]: _value(item.get("value"))
        for item in items or ()
        if isinstance(item, dict) and "key" in item
    }


def _nanos(value: Any) -> float:
    return int(value or 0) / 1e9


def _kind(value: Any) -> int:
    return _KIND_NAMES.get(value, 0) if isinstance(value, str) else int(value or 0)


def segment_documents(request: dict[str, Any]) -> list[Document]:
    """The X-Ray documents for every span of an ExportTraceServiceRequest in OTLP/JSON shape."""
    found: list[Document] = []
    for resource_spans in request.get("resourceSpans") or ():
        resource = _attributes((resource_spans.get("resource") or {}).get("attributes"))
        for scope_spans in resource_spans.get("scopeSpans") or ():
            for span in scope_spans.get("spans") or ():
                found.append(_document(span, resource))
    return found


def _document(span: dict[str, Any], resource: dict[str, Any]) -> Document:
    attributes = _attributes(span.get("attributes"))
    kind = _kind(span.get("kind"))
    parent = span.get("parentSpanId") or None
    document: Document = {
        "id": str(span.get("spanId", "")),
        "trace_id": to_xray_trace_id(str(span.get("traceId", ""))),
        "start_time": _nanos(span.get("startTimeUnixNano")),
        "end_time": _nanos(span.get("endTimeUnixNano")),
    }
    if parent is None or kind in (_KIND_SERVER, _KIND_CONSUMER):
        document["name"] = str(resource.get("service.name") or span.get("name") or "unknown_service")
        if parent is not None:
            document["parent_id"] = parent
        origin = _ORIGINS.get(str(resource.get("cloud.platform")))
        if origin is not None:
            document["origin"] = origin
    else:
        document |= {"type": "subsegment", "parent_id": parent, "name": str(span.get("name") or "span")}
        if kind in (_KIND_CLIENT, _KIND_PRODUCER):
            if attributes.get("rpc.system") == "aws-api":
                document["namespace"] = "aws"
                document["name"] = str(attributes.get("rpc.service") or document["name"])
            else:
                document["namespace"] = "remote"
    document |= _http(attributes)
    document |= _aws(attributes, resource)
    document |= _outcome(span, attributes)
    annotated = attributes.get("aws.xray.annotations")
    if isinstance(annotated, list):
        document["annotations"] = {
            _ANNOTATION_KEY.sub("_", key): attributes[key]
            for key in annotated
            if isinstance(key, str) and isinstance(attributes.get(key), str | int | float | bool)
        }
    if attributes:
        document["metadata"] = {"default": attributes}
    return document


def _first(attributes: dict[str, Any], *keys: str) -> Any:
    return next((attributes[k] for k in keys if attributes.get(k) is not None), None)


def _http(attributes: dict[str, Any]) -> Document:
    request = {
        "method": _first(attributes, "http.request.method", "http.method"),
        "url": _first(attributes, "url.full", "http.url"),
        "user_agent": _first(attributes, "user_agent.original", "http.user_agent"),
        "client_ip": _first(attributes, "client.address", "http.client_ip", "net.peer.ip"),
    }
    status = _first(attributes, "http.response.status_code", "http.status_code")
    http: Document = {}
    if any(v is not None for v in request.values()):
        http["request"] = {k: v for k, v in request.items() if v is not None}
    if isinstance(status, int):
        http["response"] = {"status": status}
    return {"http": http} if http else {}


def _aws(attributes: dict[str, Any], resource: dict[str, Any]) -> Document:
    aws = {
        "operation": attributes.get("rpc.method"),
        "region": _first(attributes, "aws.region", "cloud.region") or resource.get("cloud.region"),
        "request_id": attributes.get("aws.request_id"),
    }
    tables = attributes.get("aws.dynamodb.table_names")
    if isinstance(tables, list) and tables:
        aws["table_name"] = tables[0]
    present = {k: v for k, v in aws.items() if v is not None}
    return {"aws": present} if present else {}


def _outcome(span: dict[str, Any], attributes: dict[str, Any]) -> Document:
    outcome: Document = {}
    status = _first(attributes, "http.response.status_code", "http.status_code")
    if isinstance(status, int) and 400 <= status < 500:
        outcome["error"] = True
        if status == 429:
            outcome["throttle"] = True
    elif isinstance(status, int) and status >= 500:
        outcome["fault"] = True
    span_status = span.get("status") or {}
    if _status_code(span_status.get("code")) == _STATUS_ERROR:
        outcome["fault"] = True
    exceptions = [
        {
            "message": str(event_attributes.get("exception.message", "")),
            "type": str(event_attributes.get("exception.type", "")),
        }
        for event in span.get("events") or ()
        if event.get("name") == "exception"
        for event_attributes in [_attributes(event.get("attributes"))]
    ]
    if not exceptions and span_status.get("message") and outcome:
        exceptions = [{"message": str(span_status["message"])}]
    if exceptions:
        outcome["cause"] = {"exceptions": exceptions}
    return outcome


def _status_code(value: Any) -> int:
    if isinstance(value, str):
        return {"STATUS_CODE_OK": 1, "STATUS_CODE_ERROR": 2}.get(value, 0)
    return int(value or 0)

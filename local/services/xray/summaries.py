"""Trace summaries as GetTraceSummaries returns them, and the scope filter expressions look at.

Shapes follow the X-Ray API reference
(https://docs.aws.amazon.com/xray/latest/api/API_TraceSummary.html): duration is the whole trace's,
response time the entry point's; HasError / HasFault / HasThrottle are true when any segment or
subsegment has the flag; Http is the entry point's request and response. Root causes name the
deepest faulting (or erring) node of each service, with the exceptions its ``cause`` lists.
"""

from __future__ import annotations

from typing import Any

from local.services.xray import documents
from local.services.xray.documents import Assembled, Document, walk
from local.services.xray.filters import Scope
from local.services.xray.store import StoredTrace


def scope(assembled: Assembled) -> Scope:
    segments = assembled.segments
    start = min(float(s["start_time"]) for s in segments) if segments else 0.0
    end = max(documents.end_time(s) for s in segments) if segments else 0.0
    return Scope(segments, documents.root_segment(segments), end - start, assembled.is_partial)


def service_id(segment: Document, account_id: str | None = None) -> dict[str, Any]:
    item: dict[str, Any] = {"Name": segment["name"], "Names": [segment["name"]]}
    kind = documents.service_type(segment)
    if kind is not None:
        item["Type"] = kind
    if account_id is not None and not segment.get("inferred"):
        item["AccountId"] = account_id
    return item


def summary(trace: StoredTrace, account_id: str | None = None) -> dict[str, Any]:
    assembled = trace.assembled()
    view = scope(assembled)
    segments = assembled.segments
    nodes = list(view.nodes())
    root = view.root
    result: dict[str, Any] = {
        "Id": trace.id,
        "StartTime": trace.start_time,
        "Duration": round(view.duration, 3),
        "ResponseTime": round(documents.duration(root), 3) if root is not None else None,
        "HasFault": any(n.get("fault") is True for n in nodes),
        "HasError": any(n.get("error") is True for n in nodes),
        "HasThrottle": any(n.get("throttle") is True for n in nodes),
        "IsPartial": view.partial,
        "Http": _http(root),
        "Annotations": _annotations(segments, account_id),
        "Users": _users(segments, account_id),
        "ServiceIds": _unique(service_id(s, account_id) for s in segments),
        "ResourceARNs": _unique(
            {"ARN": s["resource_arn"]} for s in segments if isinstance(s.get("resource_arn"), str)
        ),
        "FaultRootCauses": _root_causes(segments, "fault", account_id),
        "ErrorRootCauses": _root_causes(segments, "error", account_id),
        "Revision": trace.revision,
        "MatchedEventTime": trace.start_time,
    }
    if root is not None:
        result["EntryPoint"] = service_id(root, account_id)
    return {key: value for key, value in result.items() if value is not None}


def _http(root: Document | None) -> dict[str, Any]:
    http = (root or {}).get("http") or {}
    request, response = http.get("request") or {}, http.get("response") or {}
    fields = {
        "HttpURL": request.get("url"),
        "HttpStatus": response.get("status"),
        "HttpMethod": request.get("method"),
        "UserAgent": request.get("user_agent"),
        "ClientIp": request.get("client_ip"),
    }
    return {key: value for key, value in fields.items() if value is not None}


def _annotation_value(value: Any) -> dict[str, Any]:
    if isinstance(value, bool):
        return {"BooleanValue": value}
    if isinstance(value, int | float):
        return {"NumberValue": value}
    return {"StringValue": str(value)}


def _annotations(segments: list[Document], account_id: str | None) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, dict[str, dict[str, Any]]] = {}
    for segment in segments:
        for node in walk(segment):
            for key, value in (node.get("annotations") or {}).items():
                entry = found.setdefault(key, {}).setdefault(
                    repr(value), {"AnnotationValue": _annotation_value(value), "ServiceIds": []}
                )
                service = service_id(segment, account_id)
                if service not in entry["ServiceIds"]:
                    entry["ServiceIds"].append(service)
    return {key: list(values.values()) for key, values in found.items()}


def _users(segments: list[Document], account_id: str | None) -> list[dict[str, Any]]:
    users: dict[str, dict[str, Any]] = {}
    for segment in segments:
        if isinstance(segment.get("user"), str):
            entry = users.setdefault(segment["user"], {"UserName": segment["user"], "ServiceIds": []})
            entry["ServiceIds"].append(service_id(segment, account_id))
    return list(users.values())


def _unique(items: Any) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []
    for item in items:
        if item not in seen:
            seen.append(item)
    return seen


def _root_causes(segments: list[Document], flag: str, account_id: str | None) -> list[dict[str, Any]]:
    """One cause per segment with the flag: the path down to its deepest node that has it."""
    causes: list[dict[str, Any]] = []
    for segment in segments:
        path = _deepest_path(segment, flag)
        if path is None:
            continue
        service = service_id(segment, account_id)
        service["EntityPath"] = [
            {
                "Name": node["name"],
                "Exceptions": [
                    {"Name": e.get("type", "Exception"), "Message": e.get("message", "")}
                    for e in ((node.get("cause") or {}).get("exceptions") or [])
                    if isinstance(e, dict)
                ],
                "Remote": node.get("namespace") == "remote" or bool(node.get("inferred")),
            }
            for node in path
        ]
        service["Inferred"] = bool(segment.get("inferred"))
        causes.append({"Services": [service], "ClientImpacting": documents.root_segment(segments) is segment})
    return causes


def _deepest_path(node: Document, flag: str) -> list[Document] | None:
    if node.get(flag) is not True:
        return None
    for child in node.get("subsegments") or ():
        below = _deepest_path(child, flag)
        if below is not None:
            return [node, *below]
    return [node]

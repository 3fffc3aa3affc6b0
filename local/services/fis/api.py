"""FIS's experiment operations over its REST-JSON protocol, as the edge hands them over.

Requests signed for ``fis`` whose path starts with ``/experiments`` come here; the template
operations (``/experimentTemplates``...) go on to moto. Errors carry ``x-amzn-ErrorType`` and a
``message``, as FIS's do. https://docs.aws.amazon.com/fis/latest/APIReference/API_Operations.html
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from local.services.fis.service import Fis, FisError

_ONE = re.compile(r"^/experiments/([^/]+)$")
_RESOLVED = re.compile(r"^/experiments/([^/]+)/resolvedTargets$")
PAGE_SIZE = 100


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes
    headers: Mapping[str, str]


def handles(path: str) -> bool:
    return path == "/experiments" or path.startswith("/experiments/")


async def handle(fis: Fis, method: str, path: str, query: Mapping[str, str], raw: bytes) -> Answer:
    try:
        return _ok(await _route(fis, method, path, query, raw))
    except FisError as error:
        return _error(error.status, error.code, error.message)
    except ValueError as error:
        return _error(400, "ValidationException", str(error))


async def _route(fis: Fis, method: str, path: str, query: Mapping[str, str], raw: bytes) -> dict[str, Any]:
    if path == "/experiments" and method == "POST":
        body = json.loads(raw or b"{}")
        if not isinstance(body, dict):
            raise ValueError("expected a JSON object")
        return {"experiment": (await fis.start_experiment(body)).to_dict()}
    if path == "/experiments" and method == "GET":
        return _page(fis, query)
    if (match := _ONE.match(path)) is not None:
        if method == "GET":
            return {"experiment": fis.get_experiment(match.group(1)).to_dict()}
        if method == "DELETE":
            return {"experiment": fis.stop_experiment(match.group(1)).to_dict()}
    if (match := _RESOLVED.match(path)) is not None and method == "GET":
        return {"resolvedTargets": fis.get_experiment(match.group(1)).resolved_targets()}
    raise FisError(404, "ResourceNotFoundException", f"no FIS operation {method} {path}")


def _page(fis: Fis, query: Mapping[str, str]) -> dict[str, Any]:
    experiments = sorted(
        fis.list_experiments(query.get("experimentTemplateId")), key=lambda e: e.creation_time
    )
    start = int(query.get("nextToken") or 0)
    size = int(query.get("maxResults") or PAGE_SIZE)
    page = experiments[start : start + size]
    answer: dict[str, Any] = {"experiments": [e.to_summary() for e in page]}
    if start + size < len(experiments):
        answer["nextToken"] = str(start + size)
    return answer


def _ok(document: dict[str, Any]) -> Answer:
    return Answer(200, json.dumps(document).encode(), {"Content-Type": "application/json"})


def _error(status: int, code: str, message: str) -> Answer:
    return Answer(
        status,
        json.dumps({"message": message}).encode(),
        {"Content-Type": "application/json", "x-amzn-ErrorType": code},
    )

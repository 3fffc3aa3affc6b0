"""The local faults of a running cloud: set, listed and cleared at runtime through the control
endpoint ``/_local/faults`` of its AWS endpoint (``python -m local chaos``, ``make chaos FAULT=…``
and the tests use it). They live in memory only, so a new ``make up`` starts with none.

Each kind is carried out where its service lives; this module only wires them:

- ``container-api-down`` / ``container-api-slow``: the stand-in stopped (nothing listens on its
  port) or started again answering ``delay_ms`` late; clearing starts it as usual;
- ``dynamodb-throttle`` / ``dynamodb-error``: functions' DynamoDB calls answered with an API error
  at the edge (``local.services.dynamodb.faults``);
- ``aws-latency``: functions' AWS calls delayed at the edge (``local.edge.faults``);
- ``kill-environment`` / ``function-error``: execution environments killed mid-request, or a
  function failing (``local.services.lambda_.faults``).

    GET    /_local/faults          -> 200 {"faults": [...], "kinds": {kind: help}}
    POST   /_local/faults          {"kind": ..., settings...} -> 201 the fault (with its "id")
    DELETE /_local/faults[/<id>]   -> 204 (all of them without an id), 404 for an unknown id
"""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Final

from aiohttp import web
from aiohttp.web_request import BaseRequest

from local.edge.faults import EdgeFaults, LatencyRule
from local.services.dynamodb.faults import ApiErrorRule
from local.services.lambda_.faults import ErrorRule, KillRule, LambdaFaults

PATH: Final = "/_local/faults"

KINDS: Final[dict[str, str]] = {
    "container-api-down": "the container API stops: nothing listens on its port until cleared",
    "container-api-slow": "the container API answers every request delay_ms late",
    "dynamodb-throttle": "functions' DynamoDB calls: percent % answered 400 with error "
    "(ProvisionedThroughputExceededException, default, or ThrottlingException); operations=A,B limits it",
    "dynamodb-error": "functions' DynamoDB calls: percent % answered 500 InternalServerError",
    "aws-latency": "every AWS call a function makes (to services=A,B only) is delay_ms late",
    "kill-environment": "the execution environment of function is killed mid-request (when it posts its "
    "response, or after_ms into the request), for count invocations (default 1, 'all')",
    "function-error": "function fails percent % of its invocations without running (Unhandled)",
}

# Restart the container API stand-in: not at all (down), or answering delay_ms late.
RestartContainerApi = Callable[[bool, float], Awaitable[None]]


class FaultError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class ActiveFault:
    id: str
    kind: str
    settings: dict[str, Any]
    since: float = field(default_factory=time.time)

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "settings": self.settings,
            "since": self.since,
            "help": KINDS[self.kind],
        }


class LocalFaults:
    def __init__(
        self, edge: EdgeFaults, functions: LambdaFaults, restart_container_api: RestartContainerApi
    ) -> None:
        self.edge = edge
        self.functions = functions
        self.restart_container_api = restart_container_api
        self.active: dict[str, ActiveFault] = {}
        self._ids = itertools.count(1)

    async def add(self, kind: str, settings: dict[str, Any]) -> ActiveFault:
        if kind not in KINDS:
            raise FaultError(400, f"unknown fault kind {kind!r}; one of: {', '.join(KINDS)}")
        fault = ActiveFault(f"fault-{next(self._ids)}", kind, settings)
        try:
            await self._apply(fault)
        except (ValueError, TypeError) as error:
            raise FaultError(400, f"{kind}: {error}") from error
        self.active[fault.id] = fault
        return fault

    async def _apply(self, fault: ActiveFault) -> None:
        kind, settings = fault.kind, fault.settings
        if kind.startswith("container-api-"):
            if any(other.kind.startswith("container-api-") for other in self.active.values()):
                raise FaultError(409, "a container API fault is already on; clear it first")
            delay_ms = float(settings.get("delay_ms", 0)) if kind == "container-api-slow" else 0.0
            if kind == "container-api-slow" and not 0 < delay_ms <= 120_000:
                raise ValueError(f"delay_ms must be above 0 and at most 120000, not {delay_ms}")
            await self.restart_container_api(kind == "container-api-slow", delay_ms)
        elif kind == "dynamodb-throttle":
            self.edge.answering[fault.id] = ApiErrorRule.from_settings(
                settings, "ProvisionedThroughputExceededException"
            )
        elif kind == "dynamodb-error":
            self.edge.answering[fault.id] = ApiErrorRule.from_settings(settings, "InternalServerError")
        elif kind == "aws-latency":
            self.edge.latency[fault.id] = LatencyRule.from_settings(settings)
        elif kind == "kill-environment":
            self.functions.kills[fault.id] = KillRule.from_settings(settings)
        elif kind == "function-error":
            self.functions.errors[fault.id] = ErrorRule.from_settings(settings)

    async def remove(self, fault_id: str) -> bool:
        fault = self.active.pop(fault_id, None)
        if fault is None:
            return False
        self.edge.remove(fault_id)
        self.functions.remove(fault_id)
        if fault.kind.startswith("container-api-"):
            await self.restart_container_api(True, 0.0)
        return True

    async def clear(self) -> None:
        for fault_id in list(self.active):
            await self.remove(fault_id)

    def listing(self) -> list[dict[str, Any]]:
        listed = []
        for fault in self.active.values():
            entry = fault.as_dict()
            if fault.kind == "kill-environment":
                rule = self.functions.kills.get(fault.id)
                entry["remaining"] = "all" if rule is None or rule.remaining is None else rule.remaining
            if fault.kind.startswith("dynamodb-"):
                answering = self.edge.answering.get(fault.id)
                entry["answered"] = getattr(answering, "answered", 0)
            listed.append(entry)
        return listed

    # --- the control endpoint --------------------------------------------------------------------

    async def handle(self, request: BaseRequest) -> web.Response:
        rest = request.path.removeprefix(PATH).strip("/")
        try:
            if request.method == "GET" and not rest:
                return web.json_response({"faults": self.listing(), "kinds": KINDS})
            if request.method == "POST" and not rest:
                body = await _json_object(request)
                kind = str(body.pop("kind", ""))
                return web.json_response((await self.add(kind, body)).as_dict(), status=201)
            if request.method == "DELETE":
                if not rest:
                    await self.clear()
                    return web.Response(status=204)
                if await self.remove(rest):
                    return web.Response(status=204)
                raise FaultError(404, f"no fault {rest!r}")
            raise FaultError(405, f"{request.method} {request.path} is not a fault operation")
        except FaultError as error:
            return web.json_response({"error": str(error)}, status=error.status)


async def _json_object(request: BaseRequest) -> dict[str, Any]:
    try:
        body = json.loads(await request.read() or b"{}")
    except ValueError as error:
        raise FaultError(400, f"the body is not JSON: {error}") from error
    if not isinstance(body, dict):
        raise FaultError(400, "the body must be a JSON object")
    return body

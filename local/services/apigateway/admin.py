"""The local cloud's admin endpoints under ``/_local/`` on the gateway port (not part of API Gateway).

The gateway mounts its own (describe, reload) and components add theirs (the schedules' list and
fire-now). A route is a method and a path under ``/_local/`` with ``{name}`` placeholders; a request
that matches none goes on to the data plane, as any other path.

Handlers get an ``AdminRequest``: the part of aiohttp's ``web.Request`` admin handlers use (method,
path, ``match_info``, headers, query, ``read()``/``text()``/``json()``), so handlers written against
aiohttp (``local.services.events.schedules``) run on the gateway's own HTTP server unchanged. They return an
``HttpResponse`` (``json_reply``), or anything with ``status``, ``headers`` and a bytes ``body`` such
as aiohttp's ``web.Response``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, unquote

from multidict import CIMultiDictProxy, MultiDict, MultiDictProxy

from local.services.apigateway.http1 import Request
from local.services.apigateway.responses import HttpResponse

PREFIX = "/_local/"

# (AdminRequest) -> awaitable reply; typed loosely so handlers annotated with aiohttp's web.Request
# (which an AdminRequest stands in for) type-check too.
AdminHandler = Callable[[Any], Awaitable[Any]]

# Set by the HTTP server itself; a handler's own would be wrong or doubled.
_WIRE_HEADERS = frozenset({"content-length", "transfer-encoding", "connection", "date"})
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


@dataclass(frozen=True)
class AdminRoute:
    method: str
    path: str  # under /_local/, may hold {name} placeholders
    handler: AdminHandler


class AdminRequest:
    def __init__(self, request: Request, match_info: dict[str, str]) -> None:
        self.method = request.method
        self.path = unquote(request.path)
        self.raw_path = request.target
        self.query_string = request.query_string
        self.headers: CIMultiDictProxy[str] = request.headers
        self.query = MultiDictProxy(MultiDict(parse_qsl(request.query_string, keep_blank_values=True)))
        self.match_info = match_info
        self.remote = request.remote
        self._body = request.body

    @property
    def can_read_body(self) -> bool:
        return bool(self._body)

    async def read(self) -> bytes:
        return self._body

    async def text(self) -> str:
        return self._body.decode()

    async def json(self) -> Any:
        return json.loads(self._body)


def json_reply(document: Any, status: int = 200) -> HttpResponse:
    return HttpResponse(status, [("Content-Type", "application/json")], json.dumps(document).encode())


class AdminRouter:
    def __init__(self, routes: Iterable[AdminRoute]) -> None:
        self._routes = [(route, self._pattern(route.path)) for route in routes]

    @staticmethod
    def _pattern(path: str) -> re.Pattern[str]:
        parts = _PLACEHOLDER.split(PREFIX + path.lstrip("/"))
        # split() alternates literal text and placeholder names
        regex = "".join(
            re.escape(part) if i % 2 == 0 else f"(?P<{part}>[^/]+)" for i, part in enumerate(parts)
        )
        return re.compile(regex)

    def find(self, request: Request) -> tuple[AdminRoute, dict[str, str]] | None:
        path = unquote(request.path)
        for route, pattern in self._routes:
            if route.method == request.method and (found := pattern.fullmatch(path)) is not None:
                return route, found.groupdict()
        return None

    @staticmethod
    async def respond(route: AdminRoute, match_info: dict[str, str], request: Request) -> HttpResponse:
        reply = await route.handler(AdminRequest(request, match_info))
        if isinstance(reply, HttpResponse):
            return reply
        body = reply.body or b""
        if not isinstance(body, bytes):
            raise TypeError(f"admin handler {route.path}: reply body {type(body).__name__}, not bytes")
        headers = [(str(k), str(v)) for k, v in reply.headers.items() if k.lower() not in _WIRE_HEADERS]
        return HttpResponse(int(reply.status), headers, body)

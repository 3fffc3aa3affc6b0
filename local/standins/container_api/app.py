"""The service's routes (aiohttp)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Collection

from aiohttp import web
from aiohttp.typedefs import Middleware

from .catalogue import STAMPS

SERVICE = "stamps"
VERSION = "1.4.2"
MAX_LIMIT = 100

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _error(status: int, code: str, message: str) -> web.Response:
    return web.json_response({"error": {"code": code, "message": message}}, status=status)


def _non_negative_int(request: web.Request, name: str, default: int) -> int | None:
    raw = request.query.get(name)
    if raw is None:
        return default
    return int(raw) if raw.isdigit() else None


async def health(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok", "service": SERVICE, "version": VERSION})


async def list_stamps(request: web.Request) -> web.Response:
    country = request.query.get("country", "").upper()
    limit = _non_negative_int(request, "limit", 20)
    offset = _non_negative_int(request, "offset", 0)
    if limit is None or offset is None:
        return _error(400, "invalid_request", "limit and offset must be non-negative integers")
    limit = min(limit, MAX_LIMIT)
    matching = [s for s in STAMPS if not country or s["country"] == country]
    return web.json_response({"items": matching[offset : offset + limit], "total": len(matching)})


async def get_stamp(request: web.Request) -> web.Response:
    stamp_id = request.match_info["stamp_id"]
    for stamp in STAMPS:
        if stamp["id"] == stamp_id:
            return web.json_response(stamp)
    return _error(404, "not_found", f"no stamp {stamp_id!r}")


def cors_middleware(allowed_origins: Collection[str]) -> Middleware:
    """CORS for the site: the allowed origins ("*" allows any), GET only, preflights answered here."""

    def allowed(origin: str | None) -> str | None:
        if origin is None:
            return None
        if "*" in allowed_origins:
            return "*"
        return origin if origin in allowed_origins else None

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        origin = allowed(request.headers.get("Origin"))
        if request.method == "OPTIONS" and "Access-Control-Request-Method" in request.headers:
            response: web.StreamResponse = web.Response(status=204)
            if origin:
                response.headers["Access-Control-Allow-Methods"] = "GET, OPTIONS"
                response.headers["Access-Control-Allow-Headers"] = "Content-Type"
                response.headers["Access-Control-Max-Age"] = "600"
        else:
            try:
                response = await handler(request)
            except web.HTTPException as error:
                response = error
        if origin:
            response.headers["Access-Control-Allow-Origin"] = origin
            if origin != "*":
                response.headers["Vary"] = "Origin"
        return response

    return middleware


def not_found_as_json() -> Middleware:
    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            return await handler(request)
        except web.HTTPNotFound:
            return _error(404, "not_found", f"no route {request.path}")
        except web.HTTPMethodNotAllowed:
            return _error(405, "method_not_allowed", f"{request.method} is not allowed on {request.path}")

    return middleware


def delayed(delay_ms: float) -> Middleware:
    """Every answer ``delay_ms`` late: a slow container API (a fault of the local cloud)."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        await asyncio.sleep(delay_ms / 1000)
        return await handler(request)

    return middleware


def build_app(allowed_origins: Collection[str] = ("*",), *, delay_ms: float = 0.0) -> web.Application:
    middlewares = [cors_middleware(allowed_origins), not_found_as_json()]
    if delay_ms > 0:
        middlewares.insert(0, delayed(delay_ms))
    app = web.Application(middlewares=middlewares)
    app.router.add_get("/health", health)
    app.router.add_get("/stamps", list_stamps)
    app.router.add_get("/stamps/{stamp_id}", get_stamp)
    return app

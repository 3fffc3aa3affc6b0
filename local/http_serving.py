"""Serving an aiohttp application on loopback: the one way the local data planes listen."""

from __future__ import annotations

from aiohttp import web


async def serve(
    app: web.Application, host: str, port: int, *, backlog: int = 128
) -> tuple[web.AppRunner, int]:
    """Start ``app`` on host:port (0 picks a free port); returns its runner and the bound port."""
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, host, port, backlog=backlog, reuse_address=True)
    await site.start()
    if port == 0:
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner, port

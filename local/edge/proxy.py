"""Forwarding a request to the control plane and its answer back, unchanged.

Headers pass as sent, Host included (moto builds URLs such as SQS queue URLs from it, and they
must point at the edge); only hop-by-hop headers are dropped. Bodies above ``STREAM_ABOVE`` bytes
stream in both directions; smaller ones are read whole, which is cheaper.
"""

from __future__ import annotations

import aiohttp
from aiohttp import web
from aiohttp.web_request import BaseRequest
from multidict import CIMultiDict

STREAM_ABOVE = 1024 * 1024
# RFC 9110 7.6.1, plus Content-Length: aiohttp sets it from what it actually sends.
_HOP_BY_HOP = frozenset(
    h.lower()
    for h in (
        "Connection",
        "Keep-Alive",
        "Proxy-Authenticate",
        "Proxy-Authorization",
        "TE",
        "Trailer",
        "Transfer-Encoding",
        "Upgrade",
        "Expect",  # the edge answers 100-continue itself
    )
)


class Forwarder:
    def __init__(self, upstream: str) -> None:
        self.upstream = upstream.rstrip("/")
        self.session: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        # No automatic decompression, headers or cookies: the client gets moto's bytes as they are.
        self.session = aiohttp.ClientSession(
            auto_decompress=False,
            cookie_jar=aiohttp.DummyCookieJar(),
            skip_auto_headers=("Accept-Encoding", "User-Agent", "Content-Type"),
            timeout=aiohttp.ClientTimeout(total=None, sock_connect=10),
            connector=aiohttp.TCPConnector(limit=64, force_close=True),
        )

    async def close(self) -> None:
        if self.session is not None:
            await self.session.close()

    async def fetch(self, request: BaseRequest) -> tuple[int, CIMultiDict[str], bytes]:
        """Forward and read the whole answer (for the few answers the edge rewrites)."""
        assert self.session is not None
        async with self.session.request(
            request.method,
            self.upstream + request.raw_path,
            headers=_request_headers(request),
            data=await request.read(),
            allow_redirects=False,
        ) as response:
            return response.status, CIMultiDict(response.headers), await response.read()

    async def forward(self, request: BaseRequest) -> web.StreamResponse:
        assert self.session is not None
        headers = _request_headers(request)
        length = request.content_length
        data: object
        if request.body_exists and (length is None or length > STREAM_ABOVE):
            data = request.content
        else:
            data = await request.read() if request.body_exists else None
        async with self.session.request(
            request.method,
            self.upstream + request.raw_path,
            headers=headers,
            data=data,
            allow_redirects=False,
        ) as upstream:
            answer_headers = CIMultiDict(
                (k, v) for k, v in upstream.headers.items() if k.lower() not in _HOP_BY_HOP
            )
            content_length = upstream.content_length
            streamed = content_length is None or content_length > STREAM_ABOVE
            if request.method != "HEAD" and not streamed:
                answer_headers.popall("Content-Length", None)
                return web.Response(
                    status=upstream.status, headers=answer_headers, body=await upstream.read()
                )
            # HEAD keeps moto's Content-Length (the object's size); big bodies stream through.
            response = web.StreamResponse(status=upstream.status, headers=answer_headers)
            await response.prepare(request)
            if request.method != "HEAD":
                async for chunk in upstream.content.iter_chunked(256 * 1024):
                    await response.write(chunk)
            await response.write_eof()
            return response


def _request_headers(request: BaseRequest) -> CIMultiDict[str]:
    headers = CIMultiDict((k, v) for k, v in request.headers.items() if k.lower() not in _HOP_BY_HOP)
    if request.body_exists and request.content_length is None:
        headers.popall("Content-Length", None)
    return headers

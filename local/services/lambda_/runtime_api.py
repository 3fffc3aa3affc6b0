"""The Lambda Runtime API (2018-06-01) of one execution environment, over HTTP/1.1.

Each environment gets its own listener on an ephemeral loopback port, given to the runtime as
``AWS_LAMBDA_RUNTIME_API=127.0.0.1:<port>`` (awslambdaric opens plain ``host:port`` connections, so
a path prefix per environment would not do). This module is only the wire format; the environment
(``local.services.lambda_.environment``) decides what each call means, behind ``RuntimeApiEnvironment``.

Every invocation crosses this API twice (``next`` and ``response``), so it is a small asyncio
protocol rather than a web framework: the only clients are runtimes (awslambdaric's libcurl, a
custom runtime's HTTP client), which send plain HTTP/1.1 with keep-alive. It still speaks the parts
of HTTP such clients use: Content-Length or chunked bodies, ``Expect: 100-continue``, pipelining.

https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Protocol, cast

from local.services.lambda_.invocation import Invocation

PREFIX = "/2018-06-01/runtime/"
ERROR_TYPE_HEADER = "lambda-runtime-function-error-type"
MAX_HEAD_BYTES = 64 * 1024
MAX_BODY_BYTES = 16 * 1024 * 1024  # above Lambda's 6 MB response quota, which the environment reports

_REASONS = {
    200: "OK",
    202: "Accepted",
    400: "Bad Request",
    403: "Forbidden",
    404: "Not Found",
    413: "Payload Too Large",
    500: "Internal Server Error",
}
_ERRORS = {
    400: ("InvalidRequestID", "Invalid request ID"),
    403: ("InvalidStateTransition", "State transition from Invoke to InitError failed"),
    404: ("NotFound", "No such Runtime API route"),
    413: ("RequestEntityTooLarge", "Exceeded maximum allowed payload size"),
    500: ("ServiceException", "Malformed request"),
}
_ERROR_TYPE_NAME = ERROR_TYPE_HEADER.encode()


class RuntimeApiEnvironment(Protocol):
    """What the Runtime API asks of its execution environment; each ``post_*`` answers the status."""

    def next_invocation(self, deliver: Callable[[Invocation], None]) -> Invocation | None:
        """``GET /next``: the queued invocation, or None and ``deliver`` is called with the next one."""
        ...

    def cancel_next(self, deliver: Callable[[Invocation], None]) -> None:
        """The connection that waited in ``GET /next`` with ``deliver`` closed."""
        ...

    def post_response(self, request_id: str, body: bytes) -> int: ...

    def post_error(self, request_id: str, body: bytes, error_type: str | None) -> int: ...

    def post_init_error(self, body: bytes, error_type: str | None) -> int: ...


class RuntimeApiServer:
    def __init__(self, environment: RuntimeApiEnvironment) -> None:
        self.environment = environment
        self._server: asyncio.Server | None = None
        self._connections: set[_Connection] = set()

    async def start(self) -> int:
        """Listen on an ephemeral loopback port; return the port."""
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(lambda: _Connection(self), "127.0.0.1", 0)
        port: int = self._server.sockets[0].getsockname()[1]
        return port

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            for connection in list(self._connections):
                connection.close()
            self._server = None


class _Connection(asyncio.Protocol):
    def __init__(self, server: RuntimeApiServer) -> None:
        self.server = server
        self.environment = server.environment
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.waiting = False  # a GET /next the environment will answer through _deliver
        self.continued = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # A stream transport (asyncio's or uvloop's, which does not subclass asyncio.Transport).
        self.transport = cast(asyncio.Transport, transport)
        self.server._connections.add(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self.server._connections.discard(self)
        if self.waiting:
            self.environment.cancel_next(self._deliver)
            self.waiting = False
        self.transport = None

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        self._serve()

    def _serve(self) -> None:
        """Answer every complete request in the buffer, in order (one /next at a time)."""
        while not self.waiting and self.transport is not None:
            request = self._parse()
            if request is None:
                return
            method, path, headers, body = request
            route = path[len(PREFIX) :] if path.startswith(PREFIX) else ""
            if method == "GET" and route == "invocation/next":
                invocation = self.environment.next_invocation(self._deliver)
                if invocation is None:
                    self.waiting = True
                    return
                self.transport.write(_next_response(invocation))
                continue
            if method == "POST" and route:
                self._status(self._post(route, body, headers.get(ERROR_TYPE_HEADER)))
            else:
                self._status(404)

    def _parse(self) -> tuple[str, str, dict[str, str], bytes] | None:
        """One complete request from the buffer (removed from it), or None if more must come.

        Only the headers this API uses are looked up (in the raw head, lower-cased once).
        """
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            if len(self.buffer) > MAX_HEAD_BYTES:
                self._fail(500)
            return None
        head = bytes(self.buffer[: end + 2])
        try:
            method, target, _ = head[: head.index(b"\r\n")].decode("latin-1").split(" ", 2)
        except ValueError:
            self._fail(500)
            return None
        lower = head.lower()
        headers = _headers(lower, head, (b"content-length", b"transfer-encoding", b"expect"))
        start = end + 4
        if "chunked" in headers.get("transfer-encoding", "").lower():
            parsed = _dechunk(self.buffer, start)
            if parsed is None:
                self._continue(headers)
                return None
            body, consumed = parsed
        else:
            length = int(headers.get("content-length") or 0)
            if length > MAX_BODY_BYTES:
                self._fail(413)
                return None
            if len(self.buffer) < start + length:
                self._continue(headers)
                return None
            body, consumed = bytes(self.buffer[start : start + length]), start + length
        if method == "POST":
            headers.update(_headers(lower, head, (_ERROR_TYPE_NAME,)))
        del self.buffer[:consumed]
        self.continued = False
        return method, target.split("?", 1)[0], headers, body

    def _continue(self, headers: dict[str, str]) -> None:
        if headers.get("expect", "").lower() == "100-continue" and not self.continued and self.transport:
            self.continued = True
            self.transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")

    def _deliver(self, invocation: Invocation) -> None:
        """The environment's answer to the GET /next this connection is waiting in."""
        self.waiting = False
        if self.transport is not None:
            self.transport.write(_next_response(invocation))
            if self.buffer:
                self._serve()

    def _post(self, route: str, body: bytes, error_type: str | None) -> int:
        if route == "init/error":
            return self.environment.post_init_error(body, error_type)
        if not route.startswith("invocation/"):
            return 404
        request_id, _, action = route.removeprefix("invocation/").partition("/")
        if action == "response":
            return self.environment.post_response(request_id, body)
        if action == "error":
            return self.environment.post_error(request_id, body, error_type)
        return 404

    def _status(self, code: int) -> None:
        if self.transport is None:
            return
        if code == 202:
            self.transport.write(_ACCEPTED)
            return
        error_type, message = _ERRORS.get(code, _ERRORS[500])
        body = json.dumps({"errorMessage": message, "errorType": error_type}).encode()
        self.transport.write(_response(code, body, ()))

    def _fail(self, code: int) -> None:
        self._status(code)
        self.close()


def _next_response(invocation: Invocation) -> bytes:
    headers = [
        ("Lambda-Runtime-Aws-Request-Id", invocation.request_id),
        ("Lambda-Runtime-Deadline-Ms", str(invocation.deadline_ms)),
        ("Lambda-Runtime-Invoked-Function-Arn", invocation.invoked_arn),
        ("Lambda-Runtime-Trace-Id", invocation.trace_id),
    ]
    if invocation.client_context:
        headers.append(("Lambda-Runtime-Client-Context", invocation.client_context))
    if invocation.cognito_identity:
        headers.append(("Lambda-Runtime-Cognito-Identity", invocation.cognito_identity))
    return _response(200, invocation.payload, headers)


def _response(
    status: int, body: bytes, headers: tuple[tuple[str, str], ...] | list[tuple[str, str]]
) -> bytes:
    head = [f"HTTP/1.1 {status} {_REASONS.get(status, 'Status')}", "Content-Type: application/json"]
    head += [f"{name}: {value}" for name, value in headers]
    head.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


def _headers(lower: bytes, head: bytes, names: tuple[bytes, ...]) -> dict[str, str]:
    """The values of ``names`` (lower-case) in a request head ending with CRLF."""
    found = {}
    for name in names:
        at = lower.find(b"\r\n" + name + b":")
        if at >= 0:
            value_start = at + len(name) + 3
            found[name.decode()] = (
                head[value_start : head.index(b"\r\n", value_start)].decode("latin-1").strip()
            )
    return found


def _dechunk(buffer: bytearray, start: int) -> tuple[bytes, int] | None:
    """A chunked body starting at ``start``: (body, end offset), or None while incomplete."""
    body = bytearray()
    position = start
    while True:
        line_end = buffer.find(b"\r\n", position)
        if line_end < 0:
            return None
        size = int(bytes(buffer[position:line_end]).split(b";", 1)[0] or b"0", 16)
        position = line_end + 2
        if size == 0:
            trailer_end = buffer.find(b"\r\n\r\n", position - 2)
            return (bytes(body), trailer_end + 4) if trailer_end >= 0 else None
        if len(buffer) < position + size + 2:
            return None
        body += buffer[position : position + size]
        position += size + 2


_ACCEPTED = _response(202, json.dumps({"status": "OK"}).encode(), ())  # every response and error post

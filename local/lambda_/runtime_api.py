"""The Lambda Runtime API (2018-06-01) of one execution environment, over HTTP.

Each environment gets its own listener on an ephemeral loopback port, given to the runtime as
``AWS_LAMBDA_RUNTIME_API=127.0.0.1:<port>`` (awslambdaric opens plain ``host:port`` connections, so
a path prefix per environment would not do). This module is only the wire format; the environment
(``local.lambda_.environment``) decides what each call means.

https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html
"""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING

from aiohttp import web
from aiohttp.web_request import BaseRequest

if TYPE_CHECKING:
    from local.lambda_.environment import ExecutionEnvironment

PREFIX = "/2018-06-01/runtime/"
ERROR_TYPE_HEADER = "Lambda-Runtime-Function-Error-Type"

_ACCEPTED = json.dumps({"status": "OK"}).encode()
_MESSAGES = {
    400: ("InvalidRequestID", "Invalid request ID"),
    403: ("InvalidStateTransition", "State transition from Invoke to InitError failed"),
    404: ("NotFound", "No such Runtime API route"),
    413: ("RequestEntityTooLarge", "Exceeded maximum allowed payload size"),
}


class RuntimeApiServer:
    def __init__(self, environment: ExecutionEnvironment) -> None:
        self.environment = environment
        self._server: asyncio.Server | None = None
        self._web: web.Server | None = None

    async def start(self) -> int:
        """Listen on an ephemeral loopback port; return the port."""
        self._web = web.Server(self._handle, access_log=None)
        self._server = await asyncio.get_running_loop().create_server(self._web, "127.0.0.1", 0)
        port: int = self._server.sockets[0].getsockname()[1]
        return port

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            if self._web is not None:
                await self._web.shutdown(timeout=0.1)
            self._server = None

    async def _handle(self, request: BaseRequest) -> web.StreamResponse:
        path = request.path
        route = path[len(PREFIX) :] if path.startswith(PREFIX) else ""
        if request.method == "GET" and route == "invocation/next":
            return await self._next()
        if request.method == "POST" and route:
            return _status(self._post(route, await request.read(), request.headers.get(ERROR_TYPE_HEADER)))
        return _error(404)

    async def _next(self) -> web.Response:
        invocation = await self.environment.next_invocation()
        headers = {
            "Lambda-Runtime-Aws-Request-Id": invocation.request_id,
            "Lambda-Runtime-Deadline-Ms": str(invocation.deadline_ms),
            "Lambda-Runtime-Invoked-Function-Arn": invocation.invoked_arn,
            "Lambda-Runtime-Trace-Id": invocation.trace_id,
            "Content-Type": "application/json",
        }
        if invocation.client_context:
            headers["Lambda-Runtime-Client-Context"] = invocation.client_context
        if invocation.cognito_identity:
            headers["Lambda-Runtime-Cognito-Identity"] = invocation.cognito_identity
        return web.Response(body=invocation.payload, headers=headers)

    def _post(self, route: str, body: bytes, error_type: str | None) -> int:
        """The status of a POST: response, error, or init error."""
        if route == "init/error":
            return self.environment.post_init_error(body, error_type)
        request_id, _, action = route.removeprefix("invocation/").partition("/")
        if not route.startswith("invocation/"):
            return 404
        if action == "response":
            return self.environment.post_response(request_id, body)
        if action == "error":
            return self.environment.post_error(request_id, body, error_type)
        return 404


def _status(code: int) -> web.Response:
    return (
        web.Response(status=202, body=_ACCEPTED, content_type="application/json")
        if code == 202
        else _error(code)
    )


def _error(code: int) -> web.Response:
    error_type, message = _MESSAGES.get(code, ("ServiceException", "error"))
    body = json.dumps({"errorMessage": message, "errorType": error_type}).encode()
    return web.Response(status=code, body=body, content_type="application/json")

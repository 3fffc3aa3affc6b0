"""The Lambda Runtime API's wire format, over a real loopback socket with raw bytes.

awslambdaric (libcurl) exercises the common path in every executor test; these cover what other
runtimes' HTTP clients may send: chunked bodies, ``Expect: 100-continue``, pipelined requests, and
the errors the API answers with.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

from local.services.lambda_.invocation import Invocation
from local.services.lambda_.runtime_api import RuntimeApiServer

NEXT = b"GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: rt\r\n\r\n"


class FakeEnvironment:
    """The calls the Runtime API makes on an execution environment, recorded."""

    def __init__(self) -> None:
        self.queued: list[Invocation] = []
        self.waiting: Callable[[Invocation], None] | None = None
        self.posted: list[tuple[str, str, bytes, str | None]] = []

    def next_invocation(self, deliver: Callable[[Invocation], None]) -> Invocation | None:
        if self.queued:
            return self.queued.pop(0)
        self.waiting = deliver
        return None

    def cancel_next(self, deliver: Callable[[Invocation], None]) -> None:
        if self.waiting is deliver:
            self.waiting = None

    def post_response(self, request_id: str, body: bytes) -> int:
        return self._post("response", request_id, body, None)

    def post_error(self, request_id: str, body: bytes, error_type: str | None) -> int:
        return self._post("error", request_id, body, error_type)

    def post_init_error(self, body: bytes, error_type: str | None) -> int:
        self.posted.append(("init/error", "", body, error_type))
        return 202

    def _post(self, kind: str, request_id: str, body: bytes, error_type: str | None) -> int:
        if request_id != "req-1":
            return 400
        self.posted.append((kind, request_id, body, error_type))
        return 202


def _invocation(payload: bytes = b'{"n": 1}') -> Invocation:
    return Invocation("req-1", payload, "arn:aws:lambda:us-east-1:123456789012:function:f", "Root=1-a-b")


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, dict[str, str], bytes]:
    head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
    status_line, *lines = head.strip().split("\r\n")
    headers = {name.lower(): value for name, value in (line.split(": ", 1) for line in lines)}
    body = await reader.readexactly(int(headers.get("content-length", "0")))
    return int(status_line.split(" ")[1]), headers, body


def _run(
    scenario: Callable[[FakeEnvironment, asyncio.StreamReader, asyncio.StreamWriter], Awaitable[Any]],
) -> Any:
    async def main() -> Any:
        environment = FakeEnvironment()
        server = RuntimeApiServer(environment)
        port = await server.start()
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            return await asyncio.wait_for(scenario(environment, reader, writer), 10)
        finally:
            writer.close()
            await server.stop()

    return asyncio.run(main())


def test_next_answers_a_queued_invocation_with_lambdas_headers() -> None:
    async def scenario(
        env: FakeEnvironment, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> Any:
        # Given an invocation waiting for the runtime
        invocation = _invocation()
        invocation.deadline_ms = 1234
        env.queued.append(invocation)
        # When the runtime asks for the next one
        writer.write(NEXT)
        return await _read_response(reader)

    status, headers, body = _run(scenario)
    # Then it gets the payload and the invocation's metadata as headers
    assert status == 200
    assert body == b'{"n": 1}'
    assert headers["lambda-runtime-aws-request-id"] == "req-1"
    assert headers["lambda-runtime-deadline-ms"] == "1234"
    assert headers["lambda-runtime-invoked-function-arn"].endswith(":function:f")
    assert headers["lambda-runtime-trace-id"] == "Root=1-a-b"


def test_next_waits_until_an_invocation_is_delivered() -> None:
    async def scenario(
        env: FakeEnvironment, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> Any:
        # Given a runtime waiting in GET /next with nothing queued
        writer.write(NEXT)
        while env.waiting is None:
            await asyncio.sleep(0)
        pending = asyncio.ensure_future(_read_response(reader))
        await asyncio.sleep(0.05)
        assert not pending.done()  # nothing answered yet
        # When an invocation arrives
        env.waiting(_invocation(b'{"late": true}'))
        return await pending

    status, _, body = _run(scenario)
    # Then the waiting request is answered with it
    assert (status, body) == (200, b'{"late": true}')


def test_pipelined_response_and_next_are_answered_in_order() -> None:
    async def scenario(
        env: FakeEnvironment, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> Any:
        # Given a runtime that sends its response and the next GET in one write
        second = _invocation(b'{"n": 2}')
        body = b'{"ok": true}'
        writer.write(
            b"POST /2018-06-01/runtime/invocation/req-1/response HTTP/1.1\r\n"
            b"Content-Length: %d\r\n\r\n%s" % (len(body), body) + NEXT
        )
        accepted = await _read_response(reader)
        while env.waiting is None:  # the GET behind the POST is now waiting
            await asyncio.sleep(0)
        env.waiting(second)
        return accepted, await _read_response(reader)

    (status, _, body), (next_status, _, next_body) = _run(scenario)
    # Then the response is accepted first, then the next invocation comes
    assert (status, json.loads(body)) == (202, {"status": "OK"})
    assert (next_status, next_body) == (200, b'{"n": 2}')


def test_chunked_error_post_with_expect_continue() -> None:
    async def scenario(
        env: FakeEnvironment, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> Any:
        # Given a runtime posting an error with Expect: 100-continue and a chunked body
        writer.write(
            b"POST /2018-06-01/runtime/invocation/req-1/error HTTP/1.1\r\n"
            b"Transfer-Encoding: chunked\r\nExpect: 100-continue\r\n"
            b"Lambda-Runtime-Function-Error-Type: Runtime.Boom\r\n\r\n"
        )
        continued = await reader.readuntil(b"\r\n\r\n")
        payload = b'{"errorMessage": "boom", "errorType": "Boom"}'
        writer.write(b"%x\r\n%s\r\n" % (10, payload[:10]))
        writer.write(b"%x\r\n%s\r\n0\r\n\r\n" % (len(payload) - 10, payload[10:]))
        return continued, await _read_response(reader), env.posted

    continued, (status, _, _), posted = _run(scenario)
    # Then the server asks for the body, reassembles it and passes the error type on
    assert continued.startswith(b"HTTP/1.1 100 Continue")
    assert status == 202
    assert posted == [("error", "req-1", b'{"errorMessage": "boom", "errorType": "Boom"}', "Runtime.Boom")]


def test_unknown_request_ids_and_routes_get_the_apis_errors() -> None:
    async def scenario(
        env: FakeEnvironment, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> Any:
        # Given a response for a request id that is not running, then an unknown route
        writer.write(
            b"POST /2018-06-01/runtime/invocation/other/response HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}"
        )
        unknown_id = await _read_response(reader)
        writer.write(b"GET /2018-06-01/runtime/nowhere HTTP/1.1\r\n\r\n")
        return unknown_id, await _read_response(reader), env.posted

    (status, _, body), (route_status, _, route_body), posted = _run(scenario)
    # Then each is refused with the Runtime API's error shape, and nothing was recorded
    assert (status, json.loads(body)["errorType"]) == (400, "InvalidRequestID")
    assert (route_status, json.loads(route_body)["errorType"]) == (404, "NotFound")
    assert posted == []


def test_a_malformed_request_line_is_refused_and_the_connection_closed() -> None:
    async def scenario(
        env: FakeEnvironment, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> Any:
        # Given garbage instead of a request line
        writer.write(b"NONSENSE\r\n\r\n")
        answer = await _read_response(reader)
        return answer, await reader.read()

    (status, _, _), rest = _run(scenario)
    # Then it is answered with an error and the connection ends
    assert status == 500
    assert rest == b""


def test_a_body_above_the_limit_is_refused_before_it_is_read() -> None:
    async def scenario(
        env: FakeEnvironment, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> Any:
        # Given a response announced larger than the API takes (nothing of it sent yet)
        writer.write(
            b"POST /2018-06-01/runtime/invocation/req-1/response HTTP/1.1\r\nContent-Length: 99999999\r\n\r\n"
        )
        return await _read_response(reader), env.posted

    (status, _, body), posted = _run(scenario)
    # Then it is refused at once and nothing reaches the environment
    assert (status, json.loads(body)["errorType"]) == (413, "RequestEntityTooLarge")
    assert posted == []

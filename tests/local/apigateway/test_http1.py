"""The gateway's HTTP/1.1 wire, over a real loopback socket with raw bytes: keep-alive, pipelining,
HTTP/1.0, bodies (Content-Length, chunked, binary), 100-continue, HEAD, limits, malformed input,
disconnects, response framing, and the proxy event keeping the request as it was received.

The gateway serves an in-process snapshot (no control plane) and fake functions; a few tests run the
bare HTTP server with a handler of their own.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from aiohttp import web

from local.invoke import InvokeResult
from local.services.apigateway.admin import AdminRoute
from local.services.apigateway.http1 import Handler, HttpServer, Request
from local.services.apigateway.models import GatewayState, Integration, Method, Resource, RestApi, Stage
from local.services.apigateway.responses import HttpResponse
from local.services.apigateway.server import MAX_PAYLOAD_BYTES, ApiGateway
from local.services.apigateway.snapshot import Snapshot
from tests.local.gateway_support import (
    ACCOUNT,
    REGION,
    FakeInvoker,
    LoopThread,
    RawClient,
    RawResponse,
    echo_event,
    loop_thread,
)

PNG = bytes(range(256)) * 4  # every byte value, as a binary body must keep them
FINISHED: list[str] = []  # paths of the slow function's invocations that have returned
HOST = "Host: 127.0.0.1\r\n"


def _function_uri(function: str) -> str:
    return (
        f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/"
        f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{function}/invocations"
    )


def _any(function: str) -> dict[str, Method]:
    integration = Integration("AWS_PROXY", uri=_function_uri(function), http_method="POST")
    return {"ANY": Method("ANY", integration=integration)}


def _state() -> GatewayState:
    api = RestApi(
        "http1test0",
        "http1",
        (
            Resource("r0", "/"),
            Resource("r1", "/echo", _any("echo")),
            Resource("r2", "/echo/{rest+}", _any("echo")),
            Resource("r3", "/slow", _any("slow")),
            Resource("r4", "/cookies", _any("cookies")),
            Resource("r5", "/picture", _any("picture")),
        ),
        stages={"test": Stage("test", "d1")},
        binary_media_types=("image/png",),
    )
    return GatewayState(ACCOUNT, REGION, apis={api.id: api})


def _functions(function: str, event: dict[str, Any], qualifier: str | None) -> Any:
    async def slow() -> InvokeResult:
        await asyncio.sleep(0.3)
        FINISHED.append(event["path"])
        return echo_event(function, event, qualifier)

    match function:
        case "slow":
            return slow()
        case "cookies":
            document = {
                "statusCode": 200,
                "headers": {"X-One": "1", "Content-Type": "text/plain"},
                "multiValueHeaders": {"Set-Cookie": ["a=1", "b=2"]},
                "body": "cookies",
            }
            return InvokeResult(200, json.dumps(document).encode())
        case "picture":
            document = {
                "statusCode": 200,
                "headers": {"Content-Type": "image/png"},
                "body": base64.b64encode(PNG).decode(),
                "isBase64Encoded": True,
            }
            return InvokeResult(200, json.dumps(document).encode())
        case _:
            return echo_event(function, event, qualifier)


async def _poke(request: web.Request) -> web.Response:
    """An admin handler written against aiohttp, as local.services.events.schedules' are."""
    return web.json_response({"poked": request.match_info["name"]}, status=202)


@dataclass
class Served:
    gateway: ApiGateway
    invoker: FakeInvoker
    loop: LoopThread

    @property
    def port(self) -> int:
        return self.gateway.port

    def client(self) -> RawClient:
        return RawClient(self.port)


@pytest.fixture(scope="module")
def served() -> Iterator[Served]:
    for loop in loop_thread():
        invoker = FakeInvoker(_functions)
        gateway = ApiGateway(
            invoker,
            lambda: Snapshot(_state()),
            port=0,
            admin_routes=[AdminRoute("POST", "things/{name}/poke", _poke)],
        )
        loop.run(gateway.start())
        try:
            yield Served(gateway, invoker, loop)
        finally:
            loop.run(gateway.stop())


@pytest.fixture
def calls(served: Served) -> list[Any]:
    served.invoker.calls.clear()
    return served.invoker.calls


def _event(response: RawResponse) -> dict[str, Any]:
    event: dict[str, Any] = response.json()["event"]
    return event


def _get(path: str, *extra: str, version: str = "1.1") -> bytes:
    return f"GET {path} HTTP/{version}\r\n{HOST}{''.join(extra)}\r\n".encode()


# --- connections --------------------------------------------------------------------------------


def test_a_keep_alive_connection_serves_request_after_request(served: Served) -> None:
    with served.client() as client:
        answers = []
        for n in range(3):
            client.send(_get(f"/test/echo?n={n}"))
            answers.append(client.read_response())

    assert [a.status for a in answers] == [200, 200, 200]
    assert [_event(a)["queryStringParameters"] for a in answers] == [{"n": "0"}, {"n": "1"}, {"n": "2"}]
    assert all(a.header("Connection") is None for a in answers)  # HTTP/1.1: open unless said


def test_pipelined_requests_are_answered_in_request_order(served: Served) -> None:
    with served.client() as client:
        # the first one is slow: the later ones are ready first, yet must wait their turn
        client.send(_get("/test/slow") + _get("/test/echo?n=2") + _get("/test/echo?n=3"))
        answers = [client.read_response() for _ in range(3)]

    assert [_event(a)["path"] for a in answers] == ["/slow", "/echo", "/echo"]
    assert [_event(a)["queryStringParameters"] for a in answers[1:]] == [{"n": "2"}, {"n": "3"}]
    request_ids = [a.header("x-amzn-RequestId") for a in answers]
    assert request_ids == [_event(a)["requestContext"]["requestId"] for a in answers]


def test_an_http10_request_is_answered_then_the_connection_closes(served: Served) -> None:
    with served.client() as client:
        client.send(b"GET /test/echo HTTP/1.0\r\n\r\n")  # no Host: routed by path on the bare address
        answer = client.read_response()

        assert answer.status == 200
        assert answer.header("Connection") == "close"
        assert _event(answer)["requestContext"]["protocol"] == "HTTP/1.0"
        assert client.closed_by_server()


def test_an_http10_client_asking_for_keep_alive_keeps_its_connection(served: Served) -> None:
    with served.client() as client:
        client.send(_get("/test/echo", "Connection: keep-alive\r\n", version="1.0"))
        first = client.read_response()
        client.send(_get("/test/echo", "Connection: keep-alive\r\n", version="1.0"))
        second = client.read_response()

    assert (first.status, second.status) == (200, 200)
    assert first.header("Connection") == "keep-alive"


def test_connection_close_from_the_client_ends_the_connection_after_its_answer(served: Served) -> None:
    with served.client() as client:
        client.send(_get("/test/echo", "Connection: close\r\n") + _get("/test/echo?never=1"))
        answer = client.read_response()

        assert answer.status == 200
        assert answer.header("Connection") == "close"
        assert client.closed_by_server()  # the request pipelined after it is not answered


def test_an_idle_keep_alive_connection_is_closed_after_the_timeout(served: Served) -> None:
    async def ok(request: Request) -> HttpResponse:
        return HttpResponse(200, [], b"ok")

    with bare_server(served.loop, ok, keep_alive_timeout_s=0.2) as server, RawClient(server.port) as client:
        client.send(_get("/"))
        assert client.read_response().status == 200

        assert client.closed_by_server(within_s=5)


def test_a_client_gone_mid_request_or_mid_invocation_breaks_nothing(
    served: Served, calls: list[Any], caplog: pytest.LogCaptureFixture
) -> None:
    FINISHED.clear()
    with served.client() as mid_body:
        mid_body.send(
            b"POST /test/echo HTTP/1.1\r\n" + HOST.encode() + b"Content-Length: 100\r\n\r\n0123456789"
        )
    with served.client() as mid_invocation:
        mid_invocation.send(_get("/test/slow"))
        _wait_for(lambda: len(calls) == 1)  # the function runs; its answer will find no one

    _wait_for(lambda: FINISHED == ["/slow"])  # its answer found the connection gone
    with served.client() as client:
        client.send(_get("/test/echo"))
        assert client.read_response().status == 200
    assert [record for record in caplog.records if record.levelno >= logging.ERROR] == []
    assert [call[3]["path"] for call in calls] == ["/slow", "/echo"]  # the cut-off POST never ran


def _wait_for(condition: Callable[[], bool], within_s: float = 5) -> None:
    deadline = time.monotonic() + within_s
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.01)


# --- request bodies -----------------------------------------------------------------------------


def test_a_chunked_body_reaches_the_function_whole(served: Served) -> None:
    with served.client() as client:
        client.send(
            b"POST /test/echo HTTP/1.1\r\n" + HOST.encode() + b"Content-Type: text/plain\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n"
            b"5\r\nhello\r\n1\r\n \r\n5\r\nworld\r\n0\r\n\r\n"
        )
        answer = client.read_response()

    assert answer.status == 200
    assert _event(answer)["body"] == "hello world"


def test_expect_100_continue_is_answered_before_the_body_is_sent(served: Served) -> None:
    with served.client() as client:
        client.send(
            b"POST /test/echo HTTP/1.1\r\n"
            + HOST.encode()
            + b"Content-Length: 5\r\nExpect: 100-continue\r\n\r\n"
        )
        interim = client.read_response()
        client.send(b"hello")
        final = client.read_response()

    assert interim.status == 100
    assert final.status == 200
    assert _event(final)["body"] == "hello"


def test_a_body_declared_over_10_mb_gets_413_before_it_is_sent(served: Served, calls: list[Any]) -> None:
    with served.client() as client:
        client.send(
            b"POST /test/echo HTTP/1.1\r\n"
            + HOST.encode()
            + f"Content-Length: {MAX_PAYLOAD_BYTES + 1}\r\n\r\n".encode()
            + b"x" * 1024  # the client has only begun sending
        )
        answer = client.read_response()

        assert answer.status == 413
        assert answer.json() == {"message": "Request Too Long"}
        assert answer.header("x-amzn-ErrorType") == "RequestTooLargeException"
        assert answer.header("Connection") == "close"
        assert client.closed_by_server()
    assert calls == []


def test_expect_100_continue_over_the_limit_gets_413_instead_of_continue(
    served: Served, calls: list[Any]
) -> None:
    with served.client() as client:
        client.send(
            b"PUT /test/echo HTTP/1.1\r\n"
            + HOST.encode()
            + f"Content-Length: {MAX_PAYLOAD_BYTES + 1}\r\nExpect: 100-continue\r\n\r\n".encode()
        )
        answer = client.read_response()

        assert answer.status == 413
        assert client.closed_by_server()
    assert calls == []


def test_a_chunked_body_growing_over_10_mb_gets_413(served: Served, calls: list[Any]) -> None:
    megabyte = b"x" * (1024 * 1024)
    chunk = f"{len(megabyte):x}\r\n".encode() + megabyte + b"\r\n"
    with served.client() as client:
        client.send(b"POST /test/echo HTTP/1.1\r\n" + HOST.encode() + b"Transfer-Encoding: chunked\r\n\r\n")
        for _ in range(11):  # the server reads and drops what follows its answer, for a while
            client.send(chunk)
        answer = client.read_response()

    assert answer.status == 413
    assert calls == []


def test_a_too_large_body_on_an_unknown_route_is_refused_as_the_route_is(served: Served) -> None:
    with served.client() as client:
        client.send(
            b"POST /test/nowhere HTTP/1.1\r\n"
            + HOST.encode()
            + f"Content-Length: {MAX_PAYLOAD_BYTES + 1}\r\n\r\n".encode()
        )
        answer = client.read_response()

    assert answer.status == 403  # API Gateway routes first, then checks the payload
    assert answer.json() == {"message": "Missing Authentication Token"}


def test_binary_bodies_keep_every_byte_both_ways(served: Served) -> None:
    with served.client() as client:
        client.send(
            b"POST /test/echo HTTP/1.1\r\n"
            + HOST.encode()
            + f"Content-Type: image/png\r\nContent-Length: {len(PNG)}\r\n\r\n".encode()
            + PNG
        )
        sent = client.read_response()
        client.send(_get("/test/picture", "Accept: image/png\r\n"))
        picture = client.read_response()

    event = _event(sent)
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == PNG
    assert picture.body == PNG
    assert picture.header("Content-Type") == "image/png"


# --- the request as received --------------------------------------------------------------------


def test_the_event_keeps_path_query_and_headers_as_received(served: Served) -> None:
    with served.client() as client:
        client.send(
            b"GET /test/echo/a%2Fb%20c?x=1&y=%26&x=2&empty= HTTP/1.1\r\n"
            + HOST.encode()
            + b"X-Multi: one\r\nX-Multi: two\r\nX-Case-Kept: Yes\r\nX-Latin: caf\xe9\r\n\r\n"
        )
        answer = client.read_response()

    event = _event(answer)
    assert event["path"] == "/echo/a%2Fb%20c"  # raw, as API Gateway's event v1 has it
    assert event["pathParameters"] == {"rest": "a/b c"}
    assert event["multiValueQueryStringParameters"] == {"x": ["1", "2"], "y": ["&"], "empty": [""]}
    assert event["queryStringParameters"] == {"x": "2", "y": "&", "empty": ""}
    assert event["multiValueHeaders"]["X-Multi"] == ["one", "two"]  # every value, in order
    assert event["headers"]["X-Multi"] == "two"
    assert event["headers"]["X-Case-Kept"] == "Yes"
    assert event["headers"]["X-Latin"] == "café"  # not UTF-8: taken byte for byte, not refused
    assert event["requestContext"]["path"] == "/test/echo/a%2Fb%20c"


def test_an_absolute_form_target_is_routed_by_its_path(served: Served) -> None:
    with served.client() as client:
        client.send(f"GET http://127.0.0.1:{served.port}/test/echo?via=proxy HTTP/1.1\r\n{HOST}\r\n".encode())
        answer = client.read_response()

    assert answer.status == 200
    assert _event(answer)["queryStringParameters"] == {"via": "proxy"}


# --- responses ----------------------------------------------------------------------------------


def test_response_headers_are_framed_as_sent_repeated_ones_on_lines_of_their_own(served: Served) -> None:
    with served.client() as client:
        client.send(_get("/test/cookies"))
        answer = client.read_response()

    assert answer.body == b"cookies"
    assert answer.headers_named("Set-Cookie") == ["a=1", "b=2"]
    names = [name for name, _ in answer.header_lines]
    assert "X-One" in names  # the function's spelling
    assert names.count("Content-Length") == 1
    assert answer.header("Content-Length") == str(len(answer.body))
    assert (answer.header("Date") or "").endswith(" GMT")
    assert answer.header("x-amzn-RequestId")


def test_head_gets_the_get_length_and_no_body(served: Served) -> None:
    with served.client() as client:
        client.send(f"HEAD /test/cookies HTTP/1.1\r\n{HOST}\r\n".encode() + _get("/test/cookies"))
        head = client.read_response(head_only=True)
        get = client.read_response()  # parses only if HEAD sent no body bytes

    assert head.status == 200
    assert head.header("Content-Length") == str(len(b"cookies"))
    assert get.body == b"cookies"


def test_a_bodiless_status_gets_neither_body_nor_length(served: Served) -> None:
    async def no_content(request: Request) -> HttpResponse:
        return HttpResponse(204, [("X-Why", "none")], b"ignored")

    with bare_server(served.loop, no_content) as server, RawClient(server.port) as client:
        client.send(_get("/") + _get("/"))
        first, second = client.read_response(), client.read_response()

    assert (first.status, second.status) == (204, 204)
    assert first.header("Content-Length") is None
    assert first.body == b""


# --- bad input ----------------------------------------------------------------------------------


def test_a_malformed_request_gets_400_and_the_connection_closes(served: Served, calls: list[Any]) -> None:
    with served.client() as client:
        client.send(b"THIS IS NOT HTTP\r\n\r\n")
        answer = client.read_response()

        assert answer.status == 400
        assert answer.json()["message"].startswith("Bad Request")
        assert client.closed_by_server()
    assert calls == []


def test_a_request_head_over_64_kb_gets_431(served: Served, calls: list[Any]) -> None:
    with served.client() as client:
        client.send(_get("/test/echo", f"X-Big: {'b' * 70_000}\r\n"))
        answer = client.read_response()

        assert answer.status == 431
        assert client.closed_by_server()
    assert calls == []


def test_an_upgrade_is_declined_the_request_answered_then_the_connection_closed(served: Served) -> None:
    with served.client() as client:
        client.send(_get("/test/echo", "Connection: Upgrade\r\nUpgrade: websocket\r\n"))
        answer = client.read_response()

        assert answer.status == 200
        assert answer.header("Connection") == "close"
        assert client.closed_by_server()


def test_a_failing_handler_gets_500_and_the_connection_goes_on(served: Served) -> None:
    failures = [True, False]

    async def flaky(request: Request) -> HttpResponse:
        if failures.pop(0):
            raise RuntimeError("boom")
        return HttpResponse(200, [], b"fine")

    with bare_server(served.loop, flaky) as server, RawClient(server.port) as client:
        client.send(_get("/"))
        failed = client.read_response()
        client.send(_get("/"))
        recovered = client.read_response()

    assert failed.status == 500
    assert recovered.body == b"fine"


def test_a_header_value_with_a_line_break_never_reaches_the_wire(served: Served) -> None:
    async def splitting(request: Request) -> HttpResponse:
        return HttpResponse(200, [("X-Evil", "a\r\nSet-Cookie: stolen=1")], b"")

    with bare_server(served.loop, splitting) as server, RawClient(server.port) as client:
        client.send(_get("/"))
        answer = client.read_response()

    assert answer.status == 500
    assert answer.headers_named("Set-Cookie") == []


@contextmanager
def bare_server(loop: LoopThread, handler: Handler, keep_alive_timeout_s: float = 75) -> Iterator[HttpServer]:
    """The HTTP server alone, with a handler of the test's own."""
    server = HttpServer(
        handler,
        refuse_too_large=lambda _: HttpResponse(413, [], b""),
        max_body_bytes=1024,
        keep_alive_timeout_s=keep_alive_timeout_s,
    )
    loop.run(server.start("127.0.0.1", 0))
    try:
        yield server
    finally:
        loop.run(server.close())


# --- admin routes -------------------------------------------------------------------------------


def test_admin_routes_serve_aiohttp_style_handlers_with_placeholders(served: Served) -> None:
    with served.client() as client:
        client.send(
            f"POST /_local/things/lamp%20one/poke HTTP/1.1\r\n{HOST}Content-Length: 0\r\n\r\n".encode()
        )
        poked = client.read_response()
        client.send(_get("/_local/things/lamp/poke"))  # another method: not an admin route
        not_admin = client.read_response()
        client.send(_get("/_local/apigateway"))
        described = client.read_response()

    assert (poked.status, poked.json()) == (202, {"poked": "lamp one"})
    assert poked.header("Content-Type") == "application/json; charset=utf-8"
    assert not_admin.status == 403
    assert described.json()["apis"][0]["id"] == "http1test0"

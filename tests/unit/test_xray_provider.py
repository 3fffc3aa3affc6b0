"""Our X-Ray provider behind Powertools' Tracer: the subsegment documents it sends to the daemon, as
the X-Ray SDK sends them in Lambda (each one on its own, parented on Lambda's function segment)."""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Any

import pytest

from common import xray
from common.tracing import make_tracer
from common.xray import XRayProvider, fitted, parse_daemon_address
from tests.unit.xray_daemon import FUNCTION_SEGMENT_ID, TRACE_ID, Daemon

HEX16 = re.compile(r"^[0-9a-f]{16}$")


@pytest.fixture
def tracer(daemon: Daemon, monkeypatch: pytest.MonkeyPatch) -> Any:
    """Given the functions' tracer on Lambda (tracing on)."""
    monkeypatch.setenv("LAMBDA_TASK_ROOT", "/var/task")
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", "postcards")
    monkeypatch.delenv("POWERTOOLS_TRACE_DISABLED", raising=False)
    return make_tracer(patch_modules=())


def test_a_handler_and_a_method_are_two_subsegments_under_lambdas_function_segment(
    tracer: Any, daemon: Daemon
) -> None:
    @tracer.capture_method
    def work() -> str:
        return "done"

    @tracer.capture_lambda_handler
    def handler(event: dict[str, Any], context: object) -> dict[str, Any]:
        return {"result": work()}

    # When the handler is invoked
    assert handler({}, object()) == {"result": "done"}

    # Then the method's subsegment is sent first (when it closed), under the handler's, and the
    # handler's under the function segment named in the trace header
    method, outer = daemon.received()
    assert isinstance(tracer.provider, XRayProvider)
    assert outer["name"] == "## handler"
    # (Powertools' name: module and qualified name, without the "<>" of "<locals>" X-Ray refuses)
    this_test = test_a_handler_and_a_method_are_two_subsegments_under_lambdas_function_segment.__name__
    assert method["name"] == f"## test_xray_provider.{this_test}.locals.work"
    assert outer["parent_id"] == FUNCTION_SEGMENT_ID
    assert method["parent_id"] == outer["id"]
    for document in (method, outer):
        assert HEX16.match(document["id"])
        assert document["trace_id"] == TRACE_ID
        assert (document["type"], document["namespace"]) == ("subsegment", "local")
        assert document["in_progress"] is False
        assert document["start_time"] <= document["end_time"]
    assert outer["start_time"] <= method["start_time"] <= method["end_time"] <= outer["end_time"]
    # ... with Powertools' annotations and the response as metadata, in the service's namespace
    assert outer["annotations"] == {"ColdStart": outer["annotations"]["ColdStart"], "Service": "postcards"}
    assert isinstance(outer["annotations"]["ColdStart"], bool)
    assert outer["metadata"] == {"postcards": {"handler response": {"result": "done"}}}
    assert "fault" not in outer


def test_an_exception_is_recorded_once_and_referred_to_by_the_enclosing_subsegment(
    tracer: Any, daemon: Daemon
) -> None:
    @tracer.capture_method
    def fail() -> None:
        raise ValueError("no such postcard")

    @tracer.capture_lambda_handler
    def handler(event: dict[str, Any], context: object) -> None:
        fail()

    with pytest.raises(ValueError, match="no such postcard"):
        handler({}, object())

    # Then the method's subsegment is a fault whose cause holds the exception and its stack
    method, outer = daemon.received()
    assert method["fault"] is True
    (recorded,) = method["cause"]["exceptions"]
    assert HEX16.match(recorded["id"])
    assert (recorded["type"], recorded["message"]) == ("ValueError", "no such postcard")
    assert recorded["remote"] is False  # our own code's, not a downstream service's
    assert recorded["stack"][-1] == {
        "path": "test_xray_provider.py",
        "line": recorded["stack"][-1]["line"],
        "label": "fail",
    }
    assert method["cause"]["working_directory"]
    # ... and the handler's, a fault too, names that exception by its id instead of repeating it
    assert outer["fault"] is True
    assert outer["cause"] == recorded["id"]
    # ... with the error as metadata, as Powertools adds it
    assert "handler error" in outer["metadata"]["postcards"]


def test_annotation_keys_and_values_follow_x_rays_rules(tracer: Any, daemon: Daemon) -> None:
    with tracer.provider.in_subsegment("annotated"):
        for key, value in [
            ("postcard_id", "p-1"),
            ("Count2", 2),
            ("ratio", 0.5),
            ("ok", False),
            ("has space", 1),  # X-Ray filters take letters, digits and underscores only
            ("dotted.key", 1),
            ("dash-key", 1),
            ("", 1),
            ("list_value", [1, 2]),  # values are strings, numbers or booleans
            ("none_value", None),
        ]:
            tracer.put_annotation(key, value)

    (document,) = daemon.received()
    assert document["annotations"] == {"postcard_id": "p-1", "Count2": 2, "ratio": 0.5, "ok": False}


def test_metadata_is_sent_as_json_and_the_aws_namespace_is_reserved(tracer: Any, daemon: Daemon) -> None:
    class Upload:
        def __init__(self) -> None:
            self.key = "uploads/a.jpg"
            self.sizes = (1, 2)
            self._secret = "not sent"

    with tracer.provider.in_subsegment("described") as subsegment:
        subsegment.put_metadata("upload", Upload(), "postcards")
        subsegment.put_metadata("kind", Upload, "postcards")
        subsegment.put_metadata("value", 1)
        subsegment.put_metadata("taken", 1, "AWS.reserved")
        subsegment.put_metadata("no_namespace", 1, None)

    (document,) = daemon.received()
    assert document["metadata"] == {
        "postcards": {"upload": {"key": "uploads/a.jpg", "sizes": [1, 2]}, "kind": str(Upload)},
        "default": {"value": 1},
    }


def test_nothing_is_sent_for_an_invocation_lambda_did_not_sample(
    tracer: Any, daemon: Daemon, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("_X_AMZN_TRACE_ID", f"Root={TRACE_ID};Parent={FUNCTION_SEGMENT_ID};Sampled=0")
    with tracer.provider.in_subsegment("unsampled") as subsegment:
        tracer.put_annotation("key", "value")
        subsegment.put_metadata("key", "value")
    monkeypatch.delenv("_X_AMZN_TRACE_ID")  # as during init: no invocation yet
    with tracer.provider.in_subsegment("at init"):
        tracer.put_annotation("key", "value")

    assert daemon.received() == []


def test_each_invocation_parents_its_subsegments_on_its_own_function_segment(
    tracer: Any, daemon: Daemon, monkeypatch: pytest.MonkeyPatch
) -> None:
    provider = tracer.provider
    # Given a subsegment of a first invocation that was never closed (its code leaked it)
    leaked = provider.in_subsegment("leaked")
    leaked.__enter__()
    # When the next invocation opens one
    monkeypatch.setenv(
        "_X_AMZN_TRACE_ID", "Root=1-5759e988-00000000000000000000000b;Parent=1111111111111111;Sampled=1"
    )
    with provider.in_subsegment("second"):
        pass

    # Then it is a child of its own invocation's function segment, not of the leaked one
    (second,) = daemon.received()
    assert (second["trace_id"], second["parent_id"]) == (
        "1-5759e988-00000000000000000000000b",
        "1111111111111111",
    )


def test_concurrent_tasks_each_nest_under_their_own_subsegment(tracer: Any, daemon: Daemon) -> None:
    provider = tracer.provider

    async def task(name: str) -> None:
        async with provider.in_subsegment_async(name):
            await asyncio.sleep(0)  # lets the other task run while this one's subsegment is open
            async with provider.in_subsegment_async(f"{name} child"):
                await asyncio.sleep(0)

    async def both() -> None:
        async with provider.in_subsegment_async("gather"):
            await asyncio.gather(task("a"), task("b"))

    asyncio.run(both())

    by_name = {document["name"]: document for document in daemon.received()}
    assert by_name["a child"]["parent_id"] == by_name["a"]["id"]
    assert by_name["b child"]["parent_id"] == by_name["b"]["id"]
    assert by_name["a"]["parent_id"] == by_name["b"]["parent_id"] == by_name["gather"]["id"]


def test_an_annotation_with_no_open_subsegment_is_dropped_with_a_warning(
    tracer: Any, daemon: Daemon, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="common.xray"):
        tracer.put_annotation("key", "value")
        tracer.put_metadata("key", "value")

    assert daemon.received() == []
    assert [r.getMessage() for r in caplog.records] == [
        "No open subsegment: annotation 'key' dropped (Lambda's segment cannot be changed)",
        "No open subsegment: metadata 'key' dropped (Lambda's segment cannot be changed)",
    ]


def test_a_subsegment_over_64_kb_is_sent_without_its_metadata(tracer: Any, daemon: Daemon) -> None:
    with tracer.provider.in_subsegment("big") as subsegment:
        subsegment.put_annotation("kept", "yes")
        subsegment.put_metadata("page", "x" * 70_000)

    (document,) = daemon.received()
    assert document["annotations"] == {"kept": "yes"}
    assert "metadata" not in document
    assert len(daemon.datagrams[0]) <= xray.MAX_DATAGRAM_BYTES


def test_an_exception_stack_is_the_last_thing_trimmed_and_too_large_a_document_is_dropped(
    tracer: Any, daemon: Daemon, caplog: pytest.LogCaptureFixture
) -> None:
    stack = [("/var/task/postcards/handler.py", line, "label " + "y" * 2_000, "") for line in range(40)]
    # Given a document whose exception stacks alone are over the limit
    with tracer.provider.in_subsegment("stacks") as subsegment:
        for _ in range(8):
            subsegment.add_exception(RuntimeError("boom"), stack)
    document = fitted(subsegment.document())
    # Then it is sent without stacks, its exceptions still there
    assert document is not None
    (sent,) = daemon.received()
    assert [e["type"] for e in sent["cause"]["exceptions"]] == ["RuntimeError"] * 8
    assert all("stack" not in e for e in sent["cause"]["exceptions"])

    # And a document too large even so (a huge annotation) is dropped, with a warning
    with (
        caplog.at_level(logging.WARNING, logger="common.xray"),
        tracer.provider.in_subsegment("huge") as huge,
    ):
        huge.put_annotation("page", "z" * 70_000)
    assert len(daemon.received()) == 1
    assert "over 64 KB" in caplog.records[-1].getMessage()


def test_a_daemon_that_is_not_there_never_fails_the_function(
    tracer: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("AWS_XRAY_DAEMON_ADDRESS", "256.0.0.1:2000")  # not an address: sendto fails
    with (
        caplog.at_level(logging.ERROR, logger="common.xray"),
        make_tracer(patch_modules=()).provider.in_subsegment("x"),
    ):
        pass

    assert "Could not send subsegment" in caplog.records[-1].getMessage()


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("127.0.0.1:2000", ("127.0.0.1", 2000)),
        ("169.254.79.129:2000", ("169.254.79.129", 2000)),
        ("tcp:127.0.0.1:2000 udp:127.0.0.2:2001", ("127.0.0.2", 2001)),
        ("udp:127.0.0.2:2001 tcp:127.0.0.1:2000", ("127.0.0.2", 2001)),
    ],
)
def test_the_daemon_address_is_read_in_both_forms_the_sdks_accept(
    address: str, expected: tuple[str, int]
) -> None:
    assert parse_daemon_address(address) == expected


@pytest.mark.parametrize(
    "address", ["127.0.0.1", "127.0.0.1:port", "tcp:127.0.0.1:2000 tcp:127.0.0.1:2001", "a b c"]
)
def test_an_invalid_daemon_address_is_refused(address: str) -> None:
    with pytest.raises(ValueError, match="invalid X-Ray daemon address"):
        parse_daemon_address(address)


def test_only_the_aws_sdk_can_be_patched() -> None:
    with pytest.raises(ValueError, match=r"cannot trace \['requests'\]"):
        XRayProvider().patch(["botocore", "requests"])


def test_names_lose_the_characters_x_ray_refuses(tracer: Any, daemon: Daemon) -> None:
    with tracer.provider.in_subsegment("## handler(v1)?*"):
        pass

    (document,) = daemon.received()
    assert document["name"] == "## handlerv1"


def test_an_invalid_daemon_address_never_fails_the_function(
    tracer: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("AWS_XRAY_DAEMON_ADDRESS", "no port here")
    provider = make_tracer(patch_modules=()).provider

    with caplog.at_level(logging.ERROR, logger="common.xray"), provider.in_subsegment("x"):
        pass

    assert "Could not send subsegment" in caplog.records[-1].getMessage()

"""A Powertools tracing provider that records X-Ray subsegments in Lambda, without the X-Ray SDK.

It does, in Lambda, what the X-Ray SDK for Python (aws-xray-sdk 2.15: ``core/lambda_launcher.py``,
``recorder.py``, ``emitters/udp_emitter.py``) does there, for what Powertools' Tracer asks of it:

- **Parent.** Lambda records the function's segment itself; code in the function adds subsegments to
  it. The segment is the one named by ``_X_AMZN_TRACE_ID`` (``Root=<trace id>;Parent=<function
  segment id>;Sampled=1``), which the runtime sets for each invocation and which is read again at
  each new subsegment (an open subsegment of an earlier trace is never a parent). Without Root,
  Parent and Sampled (at init), or with ``Sampled=0``, nothing is recorded.
- **Nesting.** A subsegment opened inside another is its child; the open ones live in a context
  variable, so threads and asyncio tasks each see their own (the SDK: a thread-local, and a
  task-local for asyncio).
- **Sending.** Each subsegment is sent when it closes, as its own document (the SDK on Lambda
  streams every closed subsegment: ``streaming_threshold`` 0), by UDP to ``AWS_XRAY_DAEMON_ADDRESS``
  in the daemon's format: the header ``{"format": "json", "version": 1}``, a newline, the document
  (https://docs.aws.amazon.com/xray/latest/devguide/xray-api-sendingdata.html#xray-api-daemon).
  A document is at most 64 KB; one that is larger loses its metadata, then its exception stacks,
  and is dropped with a warning if still too large (the SDK's send fails and it logs the error: the
  subsegment is lost, with its timing). Sending never raises into the function.
- **AWS calls.** ``patch(["botocore"])`` records a subsegment per AWS SDK call (``xray_botocore``).

Deliberate differences (the AWS calls' are in ``xray_botocore``): an annotation or metadata put
while no subsegment is open is dropped with a warning (the SDK raises, as Lambda's segment cannot be
changed from the function); nothing is sampled here (Lambda decides, in the header); and the SDK's
undocumented start-up marker file (``/tmp/.aws-xray/initialized``) is not written.
``tests/unit/test_xray_fidelity.py`` reads our documents against the SDK's for the same handler. A
later OpenTelemetry provider is one more ``BaseProvider`` behind ``common.tracing.make_tracer``.
"""

from __future__ import annotations

import contextvars
import logging
import os
import socket
import traceback
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from typing import Any, Final

from aws_lambda_powertools.tracing.base import BaseProvider, BaseSegment

from common.xray_subsegment import MAX_STACK_FRAMES, Subsegment, serialise

logger = logging.getLogger(__name__)

TRACE_HEADER_ENV: Final = "_X_AMZN_TRACE_ID"
DAEMON_ADDRESS_ENV: Final = "AWS_XRAY_DAEMON_ADDRESS"
DEFAULT_DAEMON_ADDRESS: Final = "127.0.0.1:2000"
DAEMON_HEADER: Final = b'{"format": "json", "version": 1}\n'
# The daemon takes datagrams up to 64 KB; IPv4 UDP carries at most 65,507 bytes of payload.
MAX_DATAGRAM_BYTES: Final = 65_507

# The subsegments open in this thread or task, innermost last (a tuple: a task that copies the
# context and opens its own cannot change its parent's).
_open: contextvars.ContextVar[tuple[Subsegment, ...]] = contextvars.ContextVar("xray_open", default=())


class TraceHeader:
    """``Root=…;Parent=…;Sampled=…`` (other fields, such as Lineage, are kept and passed on)."""

    def __init__(self, value: str) -> None:
        fields = dict(part.strip().partition("=")[::2] for part in value.split(";") if "=" in part)
        self.root = fields.pop("Root", "")
        self.parent = fields.pop("Parent", "")
        self.sampled = fields.pop("Sampled", "")
        fields.pop("Self", None)  # an ALB's own id, not ours to pass on (the SDK drops it too)
        self.extra = fields

    def for_call(self, parent_id: str, sampled: bool) -> str:
        """The header an outgoing call carries: this trace, ``parent_id`` as the caller."""
        parts = [f"Root={self.root}", f"Parent={parent_id}", f"Sampled={1 if sampled else 0}"]
        return ";".join(parts + [f"{key}={value}" for key, value in self.extra.items()])


def current_header() -> TraceHeader | None:
    """This invocation's trace header if it names a traced function segment, else None."""
    value = os.environ.get(TRACE_HEADER_ENV)
    if not value:
        return None
    header = TraceHeader(value)
    return header if header.root and header.parent and header.sampled in ("0", "1") else None


class XRayProvider(BaseProvider):
    def __init__(self) -> None:
        self._emitter: _UdpEmitter | None = None

    # -- Powertools' interface ------------------------------------------------------------------

    @contextmanager
    def in_subsegment(self, name: str | None = None, **kwargs: Any) -> Iterator[BaseSegment]:
        subsegment = self.subsegment(name or "anonymous", kwargs.get("namespace", "local"))
        token = _open.set((*_open_in(subsegment.trace_id), subsegment)) if subsegment.sampled else None
        try:
            yield subsegment
        except BaseException as error:
            subsegment.add_exception(error, traceback.extract_tb(error.__traceback__, limit=MAX_STACK_FRAMES))
            raise
        finally:
            subsegment.close()
            if token is not None:
                try:
                    _open.reset(token)
                except ValueError:  # closed in another context than it was opened in
                    _open.set(tuple(s for s in _open.get() if s is not subsegment))
            self.send(subsegment)

    @asynccontextmanager
    async def in_subsegment_async(self, name: str | None = None, **kwargs: Any) -> AsyncIterator[BaseSegment]:
        with self.in_subsegment(name, **kwargs) as subsegment:
            yield subsegment

    def put_annotation(self, key: str, value: Any) -> None:
        self._current("annotation", key).put_annotation(key, value)

    def put_metadata(self, key: str, value: Any, namespace: str = "default") -> None:
        self._current("metadata", key).put_metadata(key, value, namespace)

    def patch(self, modules: Sequence[str]) -> None:
        unsupported = set(modules) - {"botocore"}
        if unsupported:
            raise ValueError(f"cannot trace {sorted(unsupported)}: only botocore is supported")
        if modules:
            from common import aws, xray_botocore

            aws.on_new_client("xray", xray_botocore.Recorder(self).instrument)

    def patch_all(self) -> None:
        self.patch(["botocore"])

    # -- Subsegments ----------------------------------------------------------------------------

    def subsegment(self, name: str, namespace: str = "local") -> Subsegment:
        """A new subsegment under the innermost open one of this invocation's trace, else under
        Lambda's function segment; one that records nothing if the invocation is not traced."""
        header = current_header()
        if header is None or header.sampled != "1":
            return _Unrecorded(name, header)
        stack = _open_in(header.root)
        subsegment = Subsegment(name, header.root, stack[-1].id if stack else header.parent, namespace)
        subsegment.header = header
        return subsegment

    def current(self) -> Subsegment | None:
        """The innermost open subsegment of this invocation's trace."""
        header = current_header()
        stack = _open_in(header.root) if header else ()
        return stack[-1] if stack else None

    def send(self, subsegment: Subsegment) -> None:
        """Send a closed subsegment of a traced invocation (a no-op for any other); never raises."""
        if not subsegment.sampled or subsegment.in_progress:
            return
        try:
            if self._emitter is None:
                self._emitter = _UdpEmitter(os.environ.get(DAEMON_ADDRESS_ENV) or DEFAULT_DAEMON_ADDRESS)
            self._emitter.send(subsegment.document())
        except Exception:  # tracing never fails the function (the SDK logs and goes on)
            logger.exception("Could not send subsegment %s to the X-Ray daemon", subsegment.id)

    def _current(self, what: str, key: str) -> Subsegment:
        subsegment = self.current()
        if subsegment is not None:
            return subsegment
        header = current_header()
        if header is not None and header.sampled == "1":
            logger.warning(
                "No open subsegment: %s %r dropped (Lambda's segment cannot be changed)", what, key
            )
        return _Unrecorded("", header)


def _open_in(trace_id: str) -> tuple[Subsegment, ...]:
    """The open subsegments of ``trace_id`` (any left from an earlier invocation are forgotten)."""
    stack = _open.get()
    return stack if all(s.trace_id == trace_id for s in stack) else ()


class _Unrecorded(Subsegment):
    """A subsegment of an invocation that is not traced: accepts everything, sends nothing."""

    sampled = False

    def __init__(self, name: str, header: TraceHeader | None) -> None:
        super().__init__(name, header.root if header else "", header.parent if header else "")
        self.header = header

    def put_annotation(self, key: str, value: Any) -> None:
        pass

    def put_metadata(self, key: str, value: Any, namespace: str = "default") -> None:
        pass


class _UdpEmitter:
    """Non-blocking UDP to the daemon; ``address`` is ``host:port`` or ``tcp:host:port udp:host:port``."""

    def __init__(self, address: str) -> None:
        self.address = parse_daemon_address(address)
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.socket.setblocking(False)

    def send(self, document: dict[str, Any]) -> None:
        datagram = fitted(document)
        if datagram is None:
            logger.warning(
                "Subsegment %s is over 64 KB even without metadata and stacks: dropped", document["id"]
            )
            return
        self.socket.sendto(datagram, self.address)


def fitted(document: dict[str, Any]) -> bytes | None:
    """The datagram for ``document``: as it is, else without metadata, else also without exception
    stacks; None if even that is over the limit."""
    datagram = DAEMON_HEADER + serialise(document).encode()
    if len(datagram) <= MAX_DATAGRAM_BYTES:
        return datagram
    document = {key: value for key, value in document.items() if key != "metadata"}
    datagram = DAEMON_HEADER + serialise(document).encode()
    if len(datagram) <= MAX_DATAGRAM_BYTES:
        return datagram
    cause = document.get("cause")
    if isinstance(cause, dict):
        exceptions = [{k: v for k, v in e.items() if k != "stack"} for e in cause.get("exceptions", ())]
        document["cause"] = {**cause, "exceptions": exceptions}
        datagram = DAEMON_HEADER + serialise(document).encode()
        if len(datagram) <= MAX_DATAGRAM_BYTES:
            return datagram
    return None


def parse_daemon_address(address: str) -> tuple[str, int]:
    """The UDP (host, port) of ``AWS_XRAY_DAEMON_ADDRESS``, in either of the forms the SDKs accept."""
    parts = address.split()
    if len(parts) == 2:
        by_protocol = {part.partition(":")[0]: part.partition(":")[2] for part in parts}
        if "udp" not in by_protocol:
            raise ValueError(f"invalid X-Ray daemon address {address!r}")
        parts = [by_protocol["udp"]]
    host, _, port = parts[0].rpartition(":")
    if len(parts) != 1 or not host or not port.isdigit():
        raise ValueError(f"invalid X-Ray daemon address {address!r}")
    return host, int(port)

"""Stage access logs: one line per request, in the stage's own format, to its log group.

The stage's ``accessLogSettings`` name a CloudWatch Logs group (``destinationArn``) and a format
full of ``$context.*`` variables; API Gateway writes one line per request with each variable
replaced ("-" where it has no value). The server hands the lines to a writer (the local cloud's log
shipper), so ``aws logs tail <group>`` shows the API's traffic as on AWS.
https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-logging.html
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

# (log group, log stream, line)
AccessLogWriter = Callable[[str, str, str], None]

_VARIABLE = re.compile(r"\$\{?context\.([A-Za-z0-9_.]+)\}?")
_LOG_GROUP = re.compile(r"^arn:[^:]+:logs:[^:]*:[^:]*:log-group:(?P<name>[^:]+)(?::\*)?$")


def log_group_of(destination_arn: str) -> str | None:
    match = _LOG_GROUP.match(destination_arn)
    return match["name"] if match else None


@dataclass(frozen=True)
class AccessLogFormat:
    """A format compiled once: literal text and variable names, alternating."""

    parts: tuple[str, ...]  # even indexes: literal text; odd: variable names

    @classmethod
    def compile(cls, text: str) -> AccessLogFormat:
        parts: list[str] = []
        position = 0
        for match in _VARIABLE.finditer(text):
            parts += [text[position : match.start()], match[1]]
            position = match.end()
        parts.append(text[position:])
        return cls(tuple(parts))

    def render(self, values: Mapping[str, Any]) -> str:
        out = []
        for index, part in enumerate(self.parts):
            if index % 2 == 0:
                out.append(part)
            else:
                value = values.get(part)
                out.append("-" if value is None or value == "" else str(value))
        return "".join(out)


class _Stream(Protocol):
    def write(self, message: str) -> None: ...


class _StreamFactory(Protocol):
    def stream(self, label: str, group: str, name: str) -> Any: ...


class AccessLogStreams:
    """An ``AccessLogWriter`` over a log shipper with ``stream(label, group, name).write(line)``
    (``local.services.logs.sink.LogSink``): one stream object per (group, stream), kept."""

    def __init__(self, sink: _StreamFactory, label: str = "apigateway") -> None:
        self._sink = sink
        self._label = label
        self._streams: dict[tuple[str, str], _Stream] = {}

    def __call__(self, group: str, stream: str, line: str) -> None:
        target = self._streams.get((group, stream))
        if target is None:
            target = self._streams[(group, stream)] = self._sink.stream(self._label, group, stream)
        target.write(line)

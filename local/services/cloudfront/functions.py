"""CloudFront Functions (viewer request) for the local site server.

CloudFront Functions are JavaScript. With ``node`` on PATH each function runs in one long-lived node
process (a small harness: one JSON event per line in, the returned request or response out), which
is as faithful as the local cloud gets without CloudFront's own runtime. Without node, only the most
common shape is understood — ``request.uri = request.uri.replace(/regex/flags, "text")`` statements
— and any other function is reported and skipped, never silently half-run.
https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/functions-event-structure.html
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import logging
import re
import shutil
from typing import Any, Protocol

log = logging.getLogger("local.services.cloudfront")

_HARNESS = r"""
const readline = require('readline');
const source = Buffer.from(process.argv[1], 'base64').toString('utf8');
const handler = new Function(source + '\n;return handler;')();
const lines = readline.createInterface({input: process.stdin});
lines.on('line', async (line) => {
  let out;
  try { out = {result: await handler(JSON.parse(line))}; }
  catch (error) { out = {error: String(error && error.stack || error)}; }
  process.stdout.write(JSON.stringify(out) + '\n');
});
"""
_URI_REPLACE = re.compile(
    r"""request\.uri\s*=\s*request\.uri\.replace\(\s*/((?:\\.|[^/\\])+)/([gimsuy]*)\s*,\s*(['"])(.*?)\3\s*\)"""
)


class FunctionError(Exception):
    """The function threw, or returned something that is neither a request nor a response."""


class ViewerRequestFunction(Protocol):
    async def run(self, event: dict[str, Any]) -> dict[str, Any]:
        """The function's result: the (modified) request, or a response (has ``statusCode``)."""
        ...

    async def close(self) -> None: ...


class NodeFunction:
    def __init__(self, name: str, code: str) -> None:
        self.name = name
        self._code = code
        self._process: asyncio.subprocess.Process | None = None
        self._lock = asyncio.Lock()

    async def _ensure_started(self) -> asyncio.subprocess.Process:
        if self._process is None or self._process.returncode is not None:
            node = shutil.which("node")
            if node is None:
                raise FunctionError("node is not on PATH")
            self._process = await asyncio.create_subprocess_exec(
                node,
                "-e",
                _HARNESS,
                base64.b64encode(self._code.encode()).decode(),
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
            )
        return self._process

    async def run(self, event: dict[str, Any]) -> dict[str, Any]:
        async with self._lock:
            process = await self._ensure_started()
            assert process.stdin is not None
            assert process.stdout is not None
            process.stdin.write(json.dumps(event).encode() + b"\n")
            await process.stdin.drain()
            line = await asyncio.wait_for(process.stdout.readline(), timeout=5)
        if not line:
            raise FunctionError(f"function {self.name}: node exited")
        answer = json.loads(line)
        if "error" in answer:
            raise FunctionError(f"function {self.name} threw: {answer['error']}")
        result = answer.get("result")
        if not isinstance(result, dict):
            raise FunctionError(f"function {self.name} returned {result!r}")
        return result

    async def close(self) -> None:
        if self._process is not None and self._process.returncode is None:
            self._process.kill()
            with contextlib.suppress(ProcessLookupError):
                await self._process.wait()
        self._process = None


class UriRewriteFunction:
    """The node-less subset: a sequence of ``request.uri = request.uri.replace(/re/, "s")``."""

    def __init__(self, name: str, replacements: list[tuple[re.Pattern[str], str, bool]]) -> None:
        self.name = name
        self._replacements = replacements

    @classmethod
    def understand(cls, name: str, code: str) -> UriRewriteFunction | None:
        # Whole-line comments only: "//" also occurs inside regex literals.
        body = re.sub(r"^\s*//[^\n]*|/\*.*?\*/", "", code, flags=re.DOTALL | re.MULTILINE)
        statements = _URI_REPLACE.findall(body)
        # Anything besides these statements and the usual scaffolding is beyond the subset.
        rest = _URI_REPLACE.sub("", body)
        rest = re.sub(
            r"function\s+handler\s*\(\s*event\s*\)|var\s+request\s*=\s*event\.request|return\s+request",
            "",
            rest,
        )
        if not statements or re.sub(r"[\s;{}]", "", rest):
            return None
        replacements = []
        for pattern, flags, _quote, replacement in statements:
            python_flags = re.IGNORECASE if "i" in flags else 0
            python_replacement = re.sub(r"\$(\d)", r"\\\1", replacement)
            replacements.append((re.compile(pattern, python_flags), python_replacement, "g" in flags))
        return cls(name, replacements)

    async def run(self, event: dict[str, Any]) -> dict[str, Any]:
        request = dict(event["request"])
        uri = request["uri"]
        for pattern, replacement, every in self._replacements:
            uri = pattern.sub(replacement, uri, count=0 if every else 1)
        request["uri"] = uri
        return request

    async def close(self) -> None:
        return None


def load(name: str, code: str) -> ViewerRequestFunction | None:
    """A runner for the function, or None (logged) when it cannot run here."""
    if shutil.which("node"):
        return NodeFunction(name, code)
    subset = UriRewriteFunction.understand(name, code)
    if subset is None:
        log.warning("CloudFront function %s needs node to run locally (not on PATH); it is skipped", name)
    return subset

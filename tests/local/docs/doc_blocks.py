"""The shell blocks of the docs that are meant to run, and how to run them on a test's local cloud.

The convention (docs/quest/README.md, "Commands that are tested"): an HTML comment on the line
before a fenced block marks it, and is invisible where Markdown is rendered:

    <!-- doc-test: local -->   runs against a running local cloud (make up's defaults in the text)
    <!-- doc-test: build -->   runs in the repository root, no cloud needed

A block runs as one ``bash -euo pipefail`` script in a fresh folder (local) or the repository root
(build); it passes when it exits 0, so a block states what it expects with commands that fail
otherwise (``curl --fail``, ``test ... = 422``). Local blocks are written with ``make up``'s
default addresses; before running, each is rewritten to the test cloud's (``rewrite``), and an
address on any other loopback port is an error, so a doc block can never reach a user's own cloud.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from local.config import Ports

ROOT = Path(__file__).resolve().parents[3]
KINDS = ("local", "build")
MARKER = re.compile(r"^<!--\s*doc-test:\s*(?P<kind>[\w-]+)\s*-->\s*$")
FENCE = re.compile(r"^(?P<fence>```+|~~~+)\s*(?P<info>[^\s`]*)")
DEFAULT_CA = "~/.local/share/postcards-local-ca/ca.pem"


@dataclass(frozen=True)
class Block:
    path: Path  # relative to the repository
    line: int  # of the opening fence, 1-based
    kind: str
    language: str
    script: str

    @property
    def id(self) -> str:
        return f"{self.path}:{self.line}"


class DocBlockError(Exception):
    """A marker without its block, an unknown kind, or a block in a language we do not run."""


def documents(root: Path = ROOT) -> list[Path]:
    return [root / "README.md", *sorted((root / "docs").rglob("*.md"))]


def blocks_of(path: Path, root: Path = ROOT) -> list[Block]:
    lines = path.read_text(encoding="utf-8").splitlines()
    found = []
    for number, line in enumerate(lines):
        marker = MARKER.match(line.strip())
        if not marker:
            continue
        where = f"{path.relative_to(root)}:{number + 1}"
        kind = marker["kind"]
        if kind not in KINDS:
            raise DocBlockError(f"{where}: unknown doc-test kind {kind!r} (known: {', '.join(KINDS)})")
        opening = FENCE.match(lines[number + 1]) if number + 1 < len(lines) else None
        if opening is None:
            raise DocBlockError(f"{where}: a doc-test marker must be followed at once by a fenced block")
        if opening["info"] not in {"sh", "bash", "shell"}:
            raise DocBlockError(f"{where}: doc-test blocks are shell (```sh), not {opening['info']!r}")
        body = []
        for inner in lines[number + 2 :]:
            if inner.startswith(opening["fence"]):
                break
            body.append(inner)
        else:
            raise DocBlockError(f"{where}: the fenced block never closes")
        found.append(Block(path.relative_to(root), number + 2, kind, opening["info"], "\n".join(body) + "\n"))
    return found


def all_blocks(root: Path = ROOT) -> list[Block]:
    return [block for path in documents(root) for block in blocks_of(path, root)]


def _port(url: str) -> int:
    port = urlsplit(url).port
    if port is None:
        raise DocBlockError(f"no port in {url!r}")
    return port


# make up's default port of each part -> the endpoints.json field that names the cloud's address.
_ADDRESSES = {
    "edge": "aws_endpoint_url",
    "controlplane": "controlplane_url",
    "container_api": "container_api_url",
    "apigateway": "api_url",
    "site": "site_url",
    "https": "api_custom_domain_url",
    "console": "console_url",  # the local console, where the cloud has one
}
_ADDRESS = re.compile(r"(?P<host>127\.0\.0\.1|localhost):(?P<port>[0-9]+)\b")


def rewrite(script: str, endpoints: dict[str, Any], root: Path = ROOT) -> str:
    """``script`` with make up's default addresses replaced by the cloud's in ``endpoints``; an
    address on any other port is an error (it could reach a cloud of the user's)."""
    defaults = Ports()
    ports = {
        getattr(defaults, part): _port(endpoints[field])
        for part, field in _ADDRESSES.items()
        if hasattr(defaults, part) and endpoints.get(field)
    }
    text = script.replace(DEFAULT_CA, endpoints["ca_bundle"])
    text = re.sub(r"(?<![\w/.-])\.venv/bin/", f"{root}/.venv/bin/", text)

    def port(match: re.Match[str]) -> str:
        # A host name ending in localhost (api.postcards.localhost) or the loopback address.
        number = int(match["port"])
        if number not in ports:
            raise DocBlockError(
                f"{match[0]}: not one of make up's default addresses ({sorted(ports)}), so the test "
                "cannot point it at its own cloud"
            )
        return f"{match['host']}:{ports[number]}"

    return _ADDRESS.sub(port, text)

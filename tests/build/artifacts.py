"""Readers of build outputs shared by the build tests."""

from __future__ import annotations

import json
import marshal
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import CodeType
from typing import Any

FUNCTIONS = ("housekeeping", "postcards", "thumbnails")  # docs/architecture.md, "Functions"
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
BYTECODE_TAG = "cpython-313"  # the python3.13 runtime's sys.implementation.cache_tag
# Where Lambda extracts the layer: the file names its bytecode must carry.
LAYER_EXTRACTED_AT = "/opt"
# PEP 552: bit 0 of the flags word = hash-based, bit 1 = check the source; unchecked-hash is 0b01.
HASH_BASED_UNCHECKED = 0b01

_BYTECODE = re.compile(r"^(?P<folder>(?:.*/)?)__pycache__/(?P<stem>[^/.]+)\.(?P<tag>[^/.]+)\.pyc$")

# build.sh prints one line per artifact: "  <name>: built (...)" or "  <name>: up to date".
_STATUS = re.compile(r"^\s+(\S+): (built|up to date|written|removed)", re.MULTILINE)


def statuses(output: str) -> dict[str, str]:
    return dict(_STATUS.findall(output))


def manifest(out: Path) -> dict[str, Any]:
    return json.loads((out / "manifest.json").read_text())


def names(zip_path: Path) -> list[str]:
    with zipfile.ZipFile(zip_path) as zf:
        return zf.namelist()


def snapshot(out: Path) -> dict[str, tuple[int, int]]:
    """(inode, mtime in ns) of every output file: unchanged means not rewritten."""
    return {
        str(p.relative_to(out)): (p.stat().st_ino, p.stat().st_mtime_ns)
        for p in sorted(out.rglob("*"))
        if p.is_file() and p.name != ".lock"
    }


def source_of(arcname: str, tag: str = BYTECODE_TAG) -> str | None:
    """The .py a zip entry is the bytecode of ("a/__pycache__/b.<tag>.pyc" -> "a/b.py"), or None
    if the entry is not bytecode of that tag in a __pycache__ folder."""
    match = _BYTECODE.match(arcname)
    if not match or match["tag"] != tag:
        return None
    return f"{match['folder']}{match['stem']}.py"


def is_bytecode(arcname: str) -> bool:
    return "__pycache__/" in arcname or arcname.endswith((".pyc", ".pyo"))


@dataclass(frozen=True)
class Pyc:
    magic: bytes
    flags: int
    source_hash: bytes
    code: CodeType


def read_pyc(data: bytes) -> Pyc:
    """A PEP 552 .pyc: magic, flags, then (hash-based) the source's SipHash, then marshalled code.
    The code object can only be read by the interpreter version that wrote it."""
    return Pyc(data[:4], int.from_bytes(data[4:8], "little"), data[8:16], marshal.loads(data[16:]))


def code_objects(code: CodeType) -> Iterator[CodeType]:
    """A module's code object and every function/class body nested in it."""
    yield code
    for const in code.co_consts:
        if isinstance(const, CodeType):
            yield from code_objects(const)

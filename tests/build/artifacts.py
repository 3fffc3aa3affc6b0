"""Readers of build outputs shared by the build tests."""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path
from typing import Any

FUNCTIONS = ("housekeeping", "postcards", "thumbnails")  # docs/architecture.md, "Functions"
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)

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

"""Tests that need a tool the machine may lack (node, another CPython) ask for it here.

Without the tool the test is skipped on a developer's machine, but fails in CI (CI=true): CI is
meant to have every tool, so a missing one is a broken CI machine, never a quiet pass.
"""

from __future__ import annotations

import os
from typing import TypeVar

import pytest

_Tool = TypeVar("_Tool")


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"true", "1"}


def require_tool(found: _Tool | None, missing: str) -> _Tool:
    """``found`` (e.g. ``shutil.which("node")``) when it is there; else skip, or fail in CI.

    ``missing`` says what is missing, e.g. "node is not installed on this machine".
    """
    if found is not None:
        return found
    if in_ci():
        pytest.fail(f"{missing}; CI must provide it (CI=true turns this skip into a failure)", pytrace=False)
    pytest.skip(missing)

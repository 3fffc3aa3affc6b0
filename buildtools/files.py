"""Which files go into an artifact: (arcname, path) entries, in no particular order (the zip
writer sorts them)."""

from __future__ import annotations

import os

Entry = tuple[str, str]  # (name in the zip, path on disk)

SKIP_DIRS = {"__pycache__", "tests", "test", ".pytest_cache", ".mypy_cache", ".ruff_cache"}
SKIP_SUFFIXES = (".pyc", ".pyo")


def is_test_or_cache_file(name: str) -> bool:
    return (
        name.startswith(".")
        or name.endswith(SKIP_SUFFIXES)
        or name == "conftest.py"
        or (name.startswith("test_") and name.endswith(".py"))
        or name.endswith("_test.py")
    )


def function_files(src: str, prefix: str) -> list[Entry]:
    """(arcname, path) of a function's deployable files: no tests, caches or dotfiles."""
    found = []
    for top, dirs, files in os.walk(src):
        dirs[:] = [
            d for d in dirs if d not in SKIP_DIRS and not d.startswith(".") and not d.endswith(".egg-info")
        ]
        for name in files:
            if not is_test_or_cache_file(name):
                path = os.path.join(top, name)
                found.append((prefix + os.path.relpath(path, src).replace(os.sep, "/"), path))
    return found


def tree_files(src: str) -> list[Entry]:
    """(arcname, path) of every file under src (the installed layer) but bytecode caches, arcnames
    relative to src."""
    found = []
    for top, dirs, files in os.walk(src):
        dirs[:] = [d for d in dirs if d != "__pycache__"]
        for name in files:
            path = os.path.join(top, name)
            found.append((os.path.relpath(path, src).replace(os.sep, "/"), path))
    return found


def function_names(root: str) -> list[str]:
    """The functions: folders of functions/ with a handler.py, but the shared common/."""
    base = os.path.join(root, "functions")
    return sorted(
        d for d in os.listdir(base) if d != "common" and os.path.isfile(os.path.join(base, d, "handler.py"))
    )


def function_entries(root: str, name: str) -> list[Entry]:
    """A function's zip: its own folder and the shared common/, each under its own name."""
    base = os.path.join(root, "functions")
    return function_files(os.path.join(base, name), name + "/") + function_files(
        os.path.join(base, "common"), "common/"
    )

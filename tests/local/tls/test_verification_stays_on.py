"""No code path and no test turns certificate verification off: the tree never spells the ways to."""

from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
# Spelled in pieces so that this file does not list itself.
FORBIDDEN = (
    "--ignore-" + "certificate-errors",
    "ignore_" + "https_errors",
    "verify=" + "False",
    "CERT_" + "NONE",
)


def test_nothing_in_the_tree_disables_certificate_verification() -> None:
    tracked = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    found = []
    for name in filter(None, tracked):
        path = ROOT / name.decode()
        if not path.is_file():
            continue
        text = path.read_bytes().decode("utf-8", errors="replace")
        found += [f"{name.decode()}: {needle}" for needle in FORBIDDEN if needle in text]
    assert found == []

"""buildtools.manifest: manifest.json describes every artifact, and is rewritten only on change."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

import pytest

from buildtools.bytecode import Bytecode
from buildtools.manifest import write_manifest
from buildtools.stamps import save_stamp
from tests.build.small_tree import small_tree


@pytest.fixture
def tree(tmp_path: Path) -> tuple[Path, Path]:
    """Given a tree with one function, and its zip and the layer's stamped in dest."""
    root, dest = small_tree(tmp_path / "root"), tmp_path / "dest"
    dest.mkdir()
    for name, content in {"alpha": b"alpha zip", "layer": b"layer zip"}.items():
        (dest / f"{name}.zip").write_bytes(content)
        save_stamp(str(dest), name, "key")
    return root, dest


BYTECODE = Bytecode("/usr/bin/python3.13", "3.13.1")


def test_the_manifest_names_each_artifacts_hashes_size_and_bytecode(
    tree: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    root, dest = tree
    write_manifest(str(root), str(dest), "python3.13", "arm64", BYTECODE)

    def described(content: bytes, bytecode: str | None) -> dict[str, object]:
        sha = hashlib.sha256(content).digest()
        return {
            "sha256": sha.hex(),
            "base64sha256": base64.b64encode(sha).decode(),
            "size": len(content),
            "bytecode": bytecode,
        }

    text = (dest / "manifest.json").read_text()
    assert json.loads(text) == {
        "runtime": "python3.13",
        "architecture": "arm64",
        "artifacts": {
            "alpha": {"path": "alpha.zip", **described(b"alpha zip", None)},
            "layer": {"path": "layer.zip", **described(b"layer zip", "cpython-313")},
        },
    }
    # keys sorted, one line ending the file: the same content is always the same bytes
    assert text == json.dumps(json.loads(text), indent=2, sort_keys=True) + "\n"
    assert capsys.readouterr().out == "  manifest.json: written\n"


def test_an_unchanged_manifest_is_not_rewritten(tree: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    root, dest = tree
    write_manifest(str(root), str(dest), "python3.13", "arm64", BYTECODE)
    before = (dest / "manifest.json").stat()
    capsys.readouterr()
    write_manifest(str(root), str(dest), "python3.13", "arm64", BYTECODE)
    after = (dest / "manifest.json").stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert capsys.readouterr().out == "  manifest.json: up to date\n"


def test_a_removed_functions_zip_and_stamp_are_deleted(
    tree: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    # given the artifact of a function that no longer exists
    root, dest = tree
    (dest / "gone.zip").write_bytes(b"old")
    save_stamp(str(dest), "gone", "key")
    # when the manifest is written
    write_manifest(str(root), str(dest), "python3.13", "arm64", BYTECODE)
    # then that artifact is gone, and the manifest does not name it
    assert sorted(p.name for p in dest.iterdir()) == [".stamps", "alpha.zip", "layer.zip", "manifest.json"]
    assert sorted(p.name for p in (dest / ".stamps").iterdir()) == ["alpha.json", "layer.json"]
    assert sorted(json.loads((dest / "manifest.json").read_text())["artifacts"]) == ["alpha", "layer"]
    assert "  gone.zip: removed (no such function any more)\n" in capsys.readouterr().out

"""buildtools.stamps: an artifact is fresh while its inputs, the build's code and its bytes hold."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from buildtools.stamps import build_code_hash, inputs_key, is_fresh, save_stamp, stamp_path
from tests.build.small_tree import small_tree


@pytest.fixture
def entries(tmp_path: Path) -> list[tuple[str, str]]:
    for name in ("a.py", "b.py"):
        (tmp_path / name).write_text(f"# {name}\n")
    return [("pkg/a.py", str(tmp_path / "a.py")), ("pkg/b.py", str(tmp_path / "b.py"))]


def test_the_key_ignores_order_and_mtimes(entries: list[tuple[str, str]]) -> None:
    key = inputs_key(entries, "setting")
    os.utime(entries[0][1], (1_700_000_000, 1_700_000_000))
    assert inputs_key(list(reversed(entries)), "setting") == key


def test_the_key_follows_contents_names_modes_settings_and_time(
    entries: list[tuple[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    keys = {"first": inputs_key(entries, "setting")}
    keys["other setting"] = inputs_key(entries, "other")
    keys["renamed"] = inputs_key([("pkg/c.py", entries[0][1]), entries[1]], "setting")
    Path(entries[1][1]).chmod(0o755)
    keys["executable"] = inputs_key(entries, "setting")
    Path(entries[1][1]).write_text("# changed\n")
    keys["changed"] = inputs_key(entries, "setting")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1714979290")
    keys["other time"] = inputs_key(entries, "setting")
    assert len(set(keys.values())) == len(keys), keys


def _artifact(dest: Path, content: bytes = b"zip bytes") -> None:
    dest.mkdir(parents=True, exist_ok=True)
    (dest / "alpha.zip").write_bytes(content)


def test_a_saved_stamp_makes_the_artifact_fresh_for_its_key_only(tmp_path: Path) -> None:
    _artifact(tmp_path)
    save_stamp(str(tmp_path), "alpha", "key-1")
    assert is_fresh(str(tmp_path), "alpha", "key-1")
    assert not is_fresh(str(tmp_path), "alpha", "key-2")


def test_an_artifact_changed_or_gone_since_its_stamp_is_stale(tmp_path: Path) -> None:
    _artifact(tmp_path)
    save_stamp(str(tmp_path), "alpha", "key")
    _artifact(tmp_path, b"damaged")
    assert not is_fresh(str(tmp_path), "alpha", "key")
    (tmp_path / "alpha.zip").unlink()
    assert not is_fresh(str(tmp_path), "alpha", "key")


@pytest.mark.parametrize("stamp", ["", "not json", '{"sha256": "x"}', "{}"])
def test_a_missing_or_damaged_stamp_means_stale(tmp_path: Path, stamp: str) -> None:
    _artifact(tmp_path)
    assert not is_fresh(str(tmp_path), "alpha", "key")
    Path(stamp_path(str(tmp_path), "alpha")).parent.mkdir()
    Path(stamp_path(str(tmp_path), "alpha")).write_text(stamp)
    assert not is_fresh(str(tmp_path), "alpha", "key")


def test_the_build_code_hash_follows_build_sh_and_every_module(tmp_path: Path) -> None:
    # given a tree and the hash of its build code
    root = small_tree(tmp_path)
    hashes = {"first": build_code_hash(str(root))}
    # when build.sh, a module, or the set of modules changes, the hash changes each time
    (root / "build.sh").write_text((root / "build.sh").read_text() + "# changed\n")
    hashes["build.sh"] = build_code_hash(str(root))
    zips = root / "buildtools" / "zips.py"
    zips.write_text(zips.read_text() + "# changed\n")
    hashes["module"] = build_code_hash(str(root))
    (root / "buildtools" / "extra.py").write_text("")
    hashes["new module"] = build_code_hash(str(root))
    assert len(set(hashes.values())) == len(hashes), hashes


def test_the_build_code_hash_ignores_bytecode_caches(tmp_path: Path) -> None:
    # given a tree, whose bytecode is written by whichever interpreter ran the build
    root = small_tree(tmp_path)
    before = build_code_hash(str(root))
    (root / "buildtools" / "__pycache__").mkdir()
    (root / "buildtools" / "__pycache__" / "zips.cpython-39.pyc").write_bytes(b"\0")
    assert build_code_hash(str(root)) == before

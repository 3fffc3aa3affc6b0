"""buildtools/__main__.py, run as build.sh runs it (-I -S): `build` zips the functions and says
whether the layer is stale, `layer` zips the installed layer; either ends with the manifest. Any
CPython >= 3.9 may run it, with the same bytes as a result."""

from __future__ import annotations

import glob
import json
import platform
import shutil
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.build.artifacts import statuses
from tests.build.small_tree import REPO, installed_layer, small_tree
from tests.tools import require_tool

LAYER_STALE = 3
PLATFORMS = "manylinux_2_34_aarch64 manylinux2014_aarch64"


@dataclass(frozen=True)
class Tree:
    root: Path
    dest: Path
    work: Path
    python: str = sys.executable

    def run(self, command: str, *, force: bool = False) -> subprocess.CompletedProcess[str]:
        """The command as build.sh runs it, with this interpreter compiling the layer."""
        compiler = [sys.executable, platform.python_version()]
        common = [str(self.root), str(self.dest)]
        if command == "build":
            args = [*common, "1" if force else "0", "python3.13", "arm64", PLATFORMS, str(self.work), *compiler]
        else:
            args = [*common, "python3.13", "arm64", str(self.work), *compiler]
        main = REPO / "buildtools" / "__main__.py"
        return subprocess.run(
            [self.python, "-I", "-S", str(main), command, *args],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    def build(self, *, force: bool = False) -> dict[str, str]:
        """build, then (stale layer) layer over a freshly installed one; the statuses printed."""
        result = self.run("build", force=force)
        if result.returncode == LAYER_STALE:
            shutil.rmtree(self.work / "python", ignore_errors=True)
            installed_layer(self.work / "python")
            layer = self.run("layer")
            assert layer.returncode == 0, layer.stderr
            return statuses(result.stdout + layer.stdout)
        assert result.returncode == 0, result.stderr
        return statuses(result.stdout)


def _tree(folder: Path, python: str = sys.executable) -> Tree:
    tree = Tree(small_tree(folder / "root"), folder / "dest", folder / "work", python)
    tree.dest.mkdir()
    tree.work.mkdir()
    return tree


@pytest.fixture
def tree(tmp_path: Path) -> Tree:
    return _tree(tmp_path)


def test_a_first_build_zips_the_functions_and_reports_the_layer_stale(tree: Tree) -> None:
    result = tree.run("build")
    assert result.returncode == LAYER_STALE, result.stderr
    assert statuses(result.stdout) == {"alpha.zip": "built"}
    assert (tree.work / "layer.key").is_file()
    assert not (tree.dest / "manifest.json").exists()


def test_the_layer_ships_under_python_with_its_bytecode_then_the_manifest(tree: Tree) -> None:
    # when a first build runs both commands
    reported = tree.build()
    # then the layer holds the installed packages under python/, their bytecode, no scripts
    assert reported == {"alpha.zip": "built", "layer.zip": "built", "manifest.json": "written"}
    with zipfile.ZipFile(tree.dest / "layer.zip") as zf:
        files = [n for n in zf.namelist() if not n.endswith("/")]
    tag = sys.implementation.cache_tag
    assert sorted(files) == [
        "python/demo-1.0.dist-info/METADATA",
        "python/demo-1.0.dist-info/RECORD",
        "python/demo/__init__.py",
        f"python/demo/__pycache__/__init__.{tag}.pyc",
        f"python/demo/__pycache__/core.{tag}.pyc",
        "python/demo/core.py",
    ]
    artifacts = json.loads((tree.dest / "manifest.json").read_text())["artifacts"]
    assert {name: a["bytecode"] for name, a in artifacts.items()} == {"alpha": None, "layer": tag}


def test_a_second_build_is_up_to_date_in_one_command(tree: Tree) -> None:
    tree.build()
    result = tree.run("build")
    assert result.returncode == 0, result.stderr
    assert set(statuses(result.stdout).values()) == {"up to date"}
    assert len(statuses(result.stdout)) == 3


def test_force_rebuilds_every_artifact(tree: Tree) -> None:
    tree.build()
    assert tree.build(force=True) == {"alpha.zip": "built", "layer.zip": "built", "manifest.json": "up to date"}


def test_a_change_to_the_builds_code_rebuilds_every_artifact(tree: Tree) -> None:
    # given a finished build
    tree.build()
    # when a module of the build's code changes (in the tree's copy, whose code is hashed)
    zips = tree.root / "buildtools" / "zips.py"
    zips.write_text(zips.read_text() + "# changed\n")
    # then everything is rebuilt, to the same bytes
    assert tree.build() == {"alpha.zip": "built", "layer.zip": "built", "manifest.json": "up to date"}


def test_an_unknown_command_fails_with_a_message(tree: Tree) -> None:
    result = tree.run("frobnicate")
    assert result.returncode == 1
    assert "unknown command 'frobnicate'" in result.stderr


def _cpython_3_9() -> str | None:
    """The oldest CPython build.sh supports, on PATH or among pyenv's versions, if present."""
    candidates = [shutil.which("python3.9")]
    if pyenv := shutil.which("pyenv"):
        root = subprocess.run([pyenv, "root"], capture_output=True, text=True, check=False).stdout.strip()
        candidates += sorted(glob.glob(f"{root}/versions/3.9*/bin/python3")) if root else []
    for candidate in filter(None, candidates):
        probe = subprocess.run(
            [candidate, "-I", "-S", "-c", "import sys; print(sys.version_info[:2] == (3, 9))"],
            capture_output=True,
            text=True,
            check=False,
        )
        if probe.stdout.strip() == "True":
            return candidate
    return None


def test_cpython_3_9_builds_the_same_bytes(tmp_path: Path) -> None:
    python39 = require_tool(_cpython_3_9(), "no CPython 3.9 on this machine (PATH or pyenv) to run buildtools with")
    # given one tree built by this interpreter and one by CPython 3.9 (the layer compiled by this one)
    ours, theirs = _tree(tmp_path / "ours"), _tree(tmp_path / "theirs", python39)
    ours.build()
    reported = theirs.build()
    # then the 3.9 build succeeds and writes the same bytes
    assert reported == {"alpha.zip": "built", "layer.zip": "built", "manifest.json": "written"}
    for name in ("alpha.zip", "layer.zip", "manifest.json"):
        assert (theirs.dest / name).read_bytes() == (ours.dest / name).read_bytes(), name

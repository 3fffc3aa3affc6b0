"""Fixtures of the build tests: clean copies of the repository and builds shared by the session.

Each tree is a fresh copy of the files git would put in a clean clone (tracked plus new,
not-ignored files, taken from the working tree so uncommitted work is tested too). Files are
copied without their timestamps, as a clone would have them. Building the layer downloads wheels
from PyPI (pip's cache makes later runs fast), so each architecture is built once per tree.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
ARCHES = ("arm64", "x86_64")
RUNTIME = "python3.13"


def build_env(**extra: str) -> dict[str, str]:
    """The environment `make build` gives build.sh: this interpreter's bin first on PATH."""
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHON", "SOURCE_DATE_EPOCH"}}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env.update(extra)
    return env


# The external commands build.sh runs (bash itself through /usr/bin/env).
BUILD_TOOLS = ("bash", "cat", "dirname", "flock", "head", "mkdir", "mktemp", "rm", "sed", "sort")


def isolated_build_env(folder: Path, python: str, pyenv_root: Path, **extra: str) -> dict[str, str]:
    """The environment of a machine whose only Python on PATH is `python3` (launching `python`)
    and whose pyenv root is pyenv_root: PATH holds build.sh's tools, that launcher, nothing else."""
    folder.mkdir(parents=True, exist_ok=True)
    for tool in BUILD_TOOLS:
        found = shutil.which(tool)
        assert found, f"{tool} is not installed"
        (folder / tool).symlink_to(found)
    launcher = folder / "python3"
    launcher.write_text(f'#!/bin/sh\nexec "{python}" "$@"\n')
    launcher.chmod(0o755)
    env = {k: v for k, v in build_env().items() if k not in {"PYENV_ROOT", "PYENV_VERSION"}}
    env |= {"PATH": str(folder), "PYENV_ROOT": str(pyenv_root), **extra}
    return env


def run_build(tree: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["./build.sh", *args],
        cwd=tree,
        env=env or build_env(),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def build_ok(tree: Path, arch: str, *args: str) -> subprocess.CompletedProcess[str]:
    result = run_build(tree, "--arch", arch, "--runtime", RUNTIME, *args)
    assert result.returncode == 0, f"build.sh failed:\n{result.stdout}\n{result.stderr}"
    return result


def copy_clean_tree(dest: Path) -> Path:
    """The files of a clean clone of the working tree, with fresh timestamps."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = REPO / name
        if not source.is_file():  # deleted in the working tree but still in the index
            continue
        target = dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
        shutil.copymode(source, target)
    return dest


def copy_built_tree(source: Path, dest: Path) -> Path:
    """A copy of a tree *with* its build/ folder, mtimes kept, to change inputs without rebuilding
    the layer of the shared tree."""
    shutil.copytree(source, dest, symlinks=True)
    return dest


@dataclass(frozen=True)
class Built:
    tree: Path

    def out(self, arch: str) -> Path:
        return self.tree / "build" / arch


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """Given a clean tree built for both architectures."""
    tree = copy_clean_tree(tmp_path_factory.mktemp("clone-a"))
    for arch in ARCHES:
        build_ok(tree, arch)
    return Built(tree)


@pytest.fixture
def derived(built: Built, tmp_path: Path) -> Built:
    """Given a private copy of the built tree, build outputs included (inputs may be changed)."""
    return Built(copy_built_tree(built.tree, tmp_path / "tree"))

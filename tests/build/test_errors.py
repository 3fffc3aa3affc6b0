"""Bad input and missing tools fail fast with a message that says what to do, and no manifest."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.build.conftest import Built, build_env, copy_clean_tree, run_build


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_clean_tree(tmp_path_factory.mktemp("clone-errors"))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--arch", "sparc"], "unknown architecture 'sparc' (expected arm64 or x86_64)"),
        (["--arch", "aarch64"], "unknown architecture 'aarch64' (expected arm64 or x86_64)"),
        (["--runtime", "python2.7"], "unknown runtime 'python2.7'"),
        (["--arch"], "--arch needs a value"),
        (["--frobnicate"], "unknown argument '--frobnicate'"),
    ],
)
def test_bad_arguments_are_usage_errors(tree: Path, args: list[str], message: str) -> None:
    result = run_build(tree, *args)
    assert result.returncode == 2
    assert message in result.stderr
    assert "usage: ./build.sh" in result.stderr
    assert not (tree / "build").exists()


def test_missing_python_is_named(tree: Path) -> None:
    result = run_build(tree, "--arch", "arm64", env=build_env(PYTHON="/nonexistent/python3"))
    assert result.returncode == 1
    assert "python not found: '/nonexistent/python3'" in result.stderr


def test_missing_pip_is_named(tree: Path, tmp_path: Path) -> None:
    # given an interpreter without pip
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", tmp_path / "nopip"], check=True)
    python = tmp_path / "nopip" / "bin" / "python"
    # when the layer must be built with it
    result = run_build(tree, "--out", str(tmp_path / "out"), env=build_env(PYTHON=str(python)))
    # then build.sh says pip is missing for that interpreter, and leaves no manifest
    assert result.returncode == 1
    assert f"pip is not available for {python}" in result.stderr
    assert not (tmp_path / "out" / "arm64" / "manifest.json").exists()


def test_a_wheel_missing_for_the_target_names_package_and_platform(derived: Built, tmp_path: Path) -> None:
    # given a requirement published as an x86_64 wheel only (a local index: no network needed)
    index = tmp_path / "index"
    index.mkdir()
    (index / "demo_native-1.0-cp313-cp313-manylinux2014_x86_64.whl").write_bytes(b"")
    (derived.tree / "layer" / "requirements.txt").write_text("demo-native==1.0\n")
    # when building for arm64
    env = build_env(PIP_NO_INDEX="1", PIP_FIND_LINKS=str(index))
    result = run_build(derived.tree, "--arch", "arm64", env=env)
    # then the error names the package and the platform, and the stale manifest is withdrawn
    assert result.returncode == 1
    assert "no wheel of 'demo-native==1.0' for python3.13 on arm64" in result.stderr
    assert "linux aarch64" in result.stderr
    assert not (derived.out("arm64") / "manifest.json").exists()
    assert (derived.out("arm64") / "layer.zip").exists()  # the last good layer is kept

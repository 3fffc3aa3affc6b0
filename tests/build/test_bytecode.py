"""The layer carries bytecode for the target runtime only: unchecked hash-based, beside its source,
named as Lambda extracts it, imported without compiling; none when no interpreter of the runtime's
version is there to compile it. Function zips carry source only (test_contents.py)."""

from __future__ import annotations

import glob
import importlib.util
import json
import os
import platform
import shutil
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.build.artifacts import (
    BYTECODE_TAG,
    FUNCTIONS,
    HASH_BASED_UNCHECKED,
    LAYER_EXTRACTED_AT,
    code_objects,
    is_bytecode,
    manifest,
    names,
    read_pyc,
    source_of,
    statuses,
)
from tests.build.conftest import ARCHES, RUNTIME, Built, isolated_build_env, run_build
from tests.tools import require_tool

HOST_ARCH = {"x86_64": "x86_64", "aarch64": "arm64", "arm64": "arm64"}[platform.machine()]


@pytest.mark.parametrize("arch", ARCHES)
def test_manifest_names_the_bytecode_of_each_artifact(built: Built, arch: str) -> None:
    artifacts = manifest(built.out(arch))["artifacts"]
    assert {name: a["bytecode"] for name, a in artifacts.items()} == {"layer": BYTECODE_TAG} | dict.fromkeys(
        FUNCTIONS, None
    )


@pytest.mark.parametrize("arch", ARCHES)
def test_every_layer_module_ships_with_its_bytecode_and_nothing_else_cached(built: Built, arch: str) -> None:
    entries = set(names(built.out(arch) / "layer.zip"))
    sources = {e for e in entries if e.endswith(".py")}
    cached = {e for e in entries if is_bytecode(e) and not e.endswith("/")}
    # then every cache entry is target bytecode in a __pycache__ beside its source
    assert {e: source_of(e) for e in cached if source_of(e) not in sources} == {}
    # and every module has one
    assert {source_of(e) for e in cached} == sources
    assert len(sources) > 300


@pytest.mark.parametrize("arch", ARCHES)
def test_layer_bytecode_is_unchecked_hash_based_of_its_source_named_as_on_lambda(
    built: Built, arch: str
) -> None:
    # marshalled code objects are readable only by the version that wrote them
    assert sys.implementation.cache_tag == BYTECODE_TAG, "run the build tests on Python 3.13 (make venv)"
    checked = 0
    with zipfile.ZipFile(built.out(arch) / "layer.zip") as zf:
        for arcname in zf.namelist():
            source = source_of(arcname)
            if source is None:
                continue
            pyc = read_pyc(zf.read(arcname))
            # then it is 3.13 bytecode whose header holds no mtime: the hash of its source,
            # not checked at import (Lambda's sources never change under it)
            assert pyc.magic == importlib.util.MAGIC_NUMBER, arcname
            assert pyc.flags == HASH_BASED_UNCHECKED, arcname
            assert pyc.source_hash == importlib.util.source_hash(zf.read(source)), arcname
            # and every code object in it names the file where Lambda puts the source
            expected = f"{LAYER_EXTRACTED_AT}/{source}"
            assert {c.co_filename for c in code_objects(pyc.code)} == {expected}, arcname
            checked += 1
    assert checked > 300


def _drop_write_bits(root: Path) -> None:
    for path in [root, *root.rglob("*")]:
        mode = stat.S_IMODE(path.stat().st_mode)
        path.chmod(mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))


# sh -c _READ_ONLY_MOUNTS sh FOLDER... -- COMMAND...: binds each folder onto itself read-only (in
# the mount namespace unshare made for the command alone; the remount is the portable way to make a
# bind read-only), then runs the command.
_READ_ONLY_MOUNTS = """
while [ "$1" != -- ]; do
  mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" || exit 97
  shift
done
shift
exec "$@"
"""


def _read_only(folders: list[Path], command: list[str]) -> list[str]:
    """Makes folders as read-only as Lambda's /var/task and /opt; returns the command that sees them
    so. Dropping write bits is enough for other users, but root ignores them: for root the folders
    are mounted read-only in a mount namespace of the command's own."""
    for folder in folders:
        _drop_write_bits(folder)
    if os.geteuid() != 0:
        return command
    unshare = shutil.which("unshare")
    assert unshare, "as root, this test needs unshare (util-linux) to mount folders read-only"
    mounts = ["sh", "-c", _READ_ONLY_MOUNTS, "sh", *map(str, folders), "--"]
    return [unshare, "--mount", "--propagation", "private", *mounts, *command]


def _writable(root: Path) -> None:
    for path in [root, *root.rglob("*")]:
        path.chmod(stat.S_IMODE(path.stat().st_mode) | stat.S_IWUSR)


_IMPORT_PROBE = """
import importlib.machinery, json, sys

compiled = []
source_to_code = importlib.machinery.SourceFileLoader.source_to_code


def recording(self, data, path, *args, **kwargs):
    compiled.append(path)
    return source_to_code(self, data, path, *args, **kwargs)


importlib.machinery.SourceFileLoader.source_to_code = recording
import postcards.handler
from PIL import Image
import jmespath, typing_extensions

modules = {
    name: {"file": module.__file__, "cached": module.__cached__}
    for name, module in list(sys.modules.items())
    if getattr(module, "__cached__", None)
}
report = {"compiled": compiled, "dont_write_bytecode": sys.flags.dont_write_bytecode, "modules": modules}
with open(sys.argv[1], "w") as f:
    json.dump(report, f)
"""


def test_host_layer_imports_from_its_bytecode_and_the_function_from_source(
    built: Built, tmp_path: Path
) -> None:
    # given the host's postcards zip and layer extracted like Lambda's /var/task and /opt, read-only
    task, opt = tmp_path / "task", tmp_path / "opt"
    for zip_path, dest in (
        (built.out(HOST_ARCH) / "postcards.zip", task),
        (built.out(HOST_ARCH) / "layer.zip", opt),
    ):
        with zipfile.ZipFile(zip_path) as zf:
            zf.extractall(dest)
    files_before = sorted(p for p in tmp_path.rglob("*"))
    report = tmp_path / "report.json"
    command = _read_only([task, opt], [sys.executable, "-c", _IMPORT_PROBE, str(report)])
    # when an interpreter free to write bytecode imports the handler and the layer's packages,
    # recording every module it compiles from source
    try:
        result = subprocess.run(
            command,
            env={
                "PYTHONPATH": f"{task}:{opt / 'python'}",
                "PATH": "/usr/bin:/bin",
                "AWS_REGION": "us-east-1",
            },
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    finally:
        _writable(task)
        _writable(opt)
    assert result.returncode != 97, f"could not mount {task} and {opt} read-only:\n{result.stderr}"
    assert result.returncode == 0, result.stderr
    data = json.loads(report.read_text())
    from_task = {m["file"] for m in data["modules"].values() if Path(m["file"]).is_relative_to(task)}
    from_layer = {name: m for name, m in data["modules"].items() if Path(m["file"]).is_relative_to(opt)}
    compiled = {p for p in data["compiled"] if Path(p).is_relative_to(tmp_path)}
    # then the layer's packages were loaded from its shipped bytecode, none compiled
    assert data["dont_write_bytecode"] == 0
    assert len(from_layer) > 100
    assert {name: m["cached"] for name, m in from_layer.items() if not Path(m["cached"]).is_file()} == {}
    assert {p for p in compiled if Path(p).is_relative_to(opt)} == set()
    # and our code, shipped as source, was compiled: every module of it, nothing else
    assert len(from_task) > 10
    assert compiled == from_task
    # and, unable to cache it, Python wrote nothing beside either
    assert sorted(p for p in tmp_path.rglob("*") if p != report) == files_before


def test_without_a_cpython_of_the_runtime_version_the_layer_carries_no_bytecode(
    built: Built, derived: Built, tmp_path: Path
) -> None:
    # given a machine whose only Python is 3.13 (the dev venv's), building for python3.12
    env = isolated_build_env(tmp_path / "bin", sys.executable, tmp_path / "empty-pyenv-root")
    out = derived.out("x86_64")
    result = run_build(derived.tree, "--arch", "x86_64", "--runtime", "python3.12", env=env)
    assert result.returncode == 0, result.stderr
    # then one warning says so, the layer is rebuilt (bytecode is one of its inputs) without any,
    # and the function zips, source only whatever the compiler, are not rebuilt
    assert result.stderr.count("build.sh: warning:") == 1, result.stderr
    assert "no CPython 3.12 found" in result.stderr
    assert "WITHOUT bytecode" in result.stderr
    reported = statuses(result.stdout)
    assert reported.pop("layer.zip") == "built", result.stdout
    assert reported.pop("manifest.json") == "written", result.stdout
    assert set(reported.values()) == {"up to date"}, result.stdout
    data = manifest(out)
    assert data["runtime"] == "python3.12"
    assert {a["bytecode"] for a in data["artifacts"].values()} == {None}
    for artifact in data["artifacts"].values():
        assert [e for e in names(out / artifact["path"]) if is_bytecode(e)] == [], artifact["path"]
    # when building for python3.13 again
    result = run_build(derived.tree, "--arch", "x86_64", "--runtime", RUNTIME, env=env)
    assert result.returncode == 0, result.stderr
    # then the layer's bytecode is back: the layer is rebuilt to the bytes of the first build
    assert "warning" not in result.stderr
    reported = statuses(result.stdout)
    assert (reported.pop("layer.zip"), reported.pop("manifest.json")) == ("built", "written")
    assert set(reported.values()) == {"up to date"}, result.stdout
    assert (out / "layer.zip").read_bytes() == (built.out("x86_64") / "layer.zip").read_bytes()
    assert manifest(out) == manifest(built.out("x86_64"))


def _other_cpython() -> str | None:
    """A CPython >= 3.9 of another version than the runtime's, if this machine has one."""
    candidates = [shutil.which(f"python3.{minor}") for minor in range(9, 20)]
    if pyenv := shutil.which("pyenv"):
        root = subprocess.run([pyenv, "root"], capture_output=True, text=True, check=False).stdout.strip()
        candidates += sorted(glob.glob(f"{root}/versions/3.*/bin/python3")) if root else []
    probe = "import sys; print(sys.implementation.cache_tag, sys.version_info >= (3, 9), sys.executable)"
    for candidate in filter(None, candidates):
        found = subprocess.run(
            [candidate, "-I", "-S", "-c", probe], capture_output=True, text=True, check=False
        )
        if found.returncode == 0:
            tag, recent, executable = found.stdout.split(maxsplit=2)
            if tag.startswith("cpython-") and tag != BYTECODE_TAG and recent == "True":
                return executable.strip()
    return None


def _launcher(path: Path, python: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f'#!/bin/sh\nexec "{python}" "$@"\n')
    path.chmod(0o755)


@pytest.mark.parametrize("where", ["python3.13 on PATH", "pyenv versions"])
def test_a_cpython_of_the_runtime_version_is_found_beside_another_build_interpreter(
    derived: Built, tmp_path: Path, where: str
) -> None:
    other = require_tool(_other_cpython(), "this machine has no CPython >= 3.9 besides 3.13 to run build.sh with")
    # given python3 of another version, and CPython 3.13 only as python3.13 on PATH or only in
    # pyenv's versions (the one that compiled the shared build)
    target = sys._base_executable  # the venv's interpreter itself
    env = isolated_build_env(tmp_path / "bin", other, tmp_path / "pyenv")
    if where == "python3.13 on PATH":
        _launcher(tmp_path / "bin" / "python3.13", target)
    else:
        _launcher(tmp_path / "pyenv" / "versions" / "3.13.0" / "bin" / "python3", target)
    # when building for python3.13
    result = run_build(derived.tree, "--arch", "x86_64", "--runtime", RUNTIME, env=env)
    # then that CPython compiles: same bytecode setting, so nothing is rebuilt, and no warning
    assert result.returncode == 0, result.stderr
    assert "warning" not in result.stderr
    assert set(statuses(result.stdout).values()) == {"up to date"}, result.stdout
    assert manifest(derived.out("x86_64"))["artifacts"]["layer"]["bytecode"] == BYTECODE_TAG

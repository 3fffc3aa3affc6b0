"""The layer holds wheels for the target platform only, under python/, and imports on Lambda."""

from __future__ import annotations

import json
import platform
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.build.artifacts import is_bytecode, names, source_of
from tests.build.conftest import ARCHES, Built

# ELF header: e_machine is the little-endian u16 at offset 18.
ELF_MACHINE = {"arm64": 183, "x86_64": 62}  # EM_AARCH64, EM_X86_64
WHEEL_MACHINE = {"arm64": "aarch64", "x86_64": "x86_64"}
THIRD_PARTY = ("PIL", "aws_lambda_powertools", "jmespath", "typing_extensions")
# Not shipped (issue 16): the functions trace with their own X-Ray provider.
NOT_SHIPPED = ("aws_xray_sdk", "wrapt")


def _elf_machines(layer: Path) -> dict[str, int]:
    machines = {}
    with zipfile.ZipFile(layer) as zf:
        for info in zf.infolist():
            head = zf.read(info)[:20] if not info.is_dir() else b""
            if head[:4] == b"\x7fELF":
                machines[info.filename] = int.from_bytes(head[18:20], "little")
    return machines


def _wheel_tags(layer: Path) -> dict[str, list[str]]:
    with zipfile.ZipFile(layer) as zf:
        return {
            name: [
                line.split(": ", 1)[1]
                for line in zf.read(name).decode().splitlines()
                if line.startswith("Tag: ")
            ]
            for name in zf.namelist()
            if name.endswith(".dist-info/WHEEL")
        }


@pytest.mark.parametrize("arch", ARCHES)
def test_layer_binaries_are_for_the_target_cpu(built: Built, arch: str) -> None:
    machines = _elf_machines(built.out(arch) / "layer.zip")
    # then there are native libraries (Pillow's), every one of them for the target CPU
    assert any("PIL/_imaging" in name for name in machines)
    assert {name: m for name, m in machines.items() if m != ELF_MACHINE[arch]} == {}


def _runs_on(tag: str, machine: str) -> bool:
    """Whether a wheel tag (interpreter-abi-platform) loads on CPython 3.13 on manylinux <machine>."""
    interpreter, abi, plat = tag.split("-")
    python_ok = interpreter in {"py3", "py313", "cp313"} or (abi == "abi3" and interpreter.startswith("cp3"))
    return python_ok and abi in {"none", "abi3", "cp313"} and (plat == "any" or plat.endswith(f"_{machine}"))


@pytest.mark.parametrize("arch", ARCHES)
def test_layer_wheels_are_tagged_for_the_target(built: Built, arch: str) -> None:
    machine = WHEEL_MACHINE[arch]
    tags = _wheel_tags(built.out(arch) / "layer.zip")
    assert len(tags) >= 4  # one per pinned requirement
    for wheel, wheel_tags in tags.items():
        # then each wheel runs on the target, and none is built for another platform
        assert any(_runs_on(tag, machine) for tag in wheel_tags), (wheel, wheel_tags)
        platforms = {tag.split("-")[2] for tag in wheel_tags} - {"any"}
        assert all(p.startswith("manylinux") and p.endswith(f"_{machine}") for p in platforms), wheel


@pytest.mark.parametrize("arch", ARCHES)
def test_layer_is_under_python_without_stray_caches_or_scripts(built: Built, arch: str) -> None:
    entries = names(built.out(arch) / "layer.zip")
    assert all(e.startswith("python/") for e in entries)
    # bytecode only of the target, beside its source (test_bytecode.py checks the rest)
    assert [
        e for e in entries if is_bytecode(e) and not e.endswith("/") and source_of(e) not in entries
    ] == []
    assert not [e for e in entries if e.startswith("python/bin/")]


def test_host_layer_imports_from_the_layer_with_the_runtime_sdk(built: Built, tmp_path: Path) -> None:
    # given the layer for this machine's CPU extracted like Lambda does under /opt
    arch = {"x86_64": "x86_64", "aarch64": "arm64", "arm64": "arm64"}[platform.machine()]
    with zipfile.ZipFile(built.out(arch) / "layer.zip") as zf:
        zf.extractall(tmp_path)
    layer = tmp_path / "python"
    # when an interpreter with the layer first on its path (boto3 from the "runtime", here the
    # venv) imports the third-party code and uses its native parts
    script = (
        "import io, json, sys\n"
        "from PIL import Image\n"
        "from aws_lambda_powertools import Logger, Metrics, Tracer\n"
        "import botocore\n"
        "buf = io.BytesIO(); Image.new('RGB', (4, 4), 'red').save(buf, 'WEBP')\n"
        f"mods = {THIRD_PARTY!r}\n"
        "print(json.dumps({m: sys.modules[m].__file__ for m in mods + ('botocore',)}))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        env={"PYTHONPATH": str(layer), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=False,
    )
    # then it works, and every third-party module came from the layer, the SDK from the runtime
    assert result.returncode == 0, result.stderr
    files = json.loads(result.stdout)
    for module in THIRD_PARTY:
        assert Path(files[module]).is_relative_to(layer), (module, files[module])
    assert not Path(files["botocore"]).is_relative_to(layer)
    # ... and the layer holds no X-Ray SDK (nor its wrapt), not even its metadata
    assert [p.name for p in layer.iterdir() if p.name.split("-")[0].lower() in NOT_SHIPPED] == []

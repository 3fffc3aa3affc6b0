"""buildtools.layer and buildtools.bytecode: the installed layer is pruned to what runs on Lambda,
then ships a target bytecode file beside each module, compiled under Lambda's file names."""

from __future__ import annotations

import platform
import sys
from pathlib import Path

import pytest

from buildtools.bytecode import LAYER_SITE, Bytecode
from buildtools.files import tree_files
from buildtools.layer import prune_layer
from tests.build.artifacts import HASH_BASED_UNCHECKED, code_objects, read_pyc
from tests.build.small_tree import installed_layer

TAG = sys.implementation.cache_tag


def _files(site: Path) -> list[str]:
    return sorted(str(p.relative_to(site)) for p in site.rglob("*") if p.is_file())


def test_pruning_drops_caches_and_scripts_and_their_record_rows(tmp_path: Path) -> None:
    # given a layer as pip installed it, with bytecode of another build beside its modules
    site = installed_layer(tmp_path / "python")
    (site / "demo" / "__pycache__").mkdir()
    (site / "demo" / "__pycache__" / f"core.{TAG}.pyc").write_bytes(b"stale")
    (site / "demo" / "old.pyc").write_bytes(b"stale")
    record = site / "demo-1.0.dist-info" / "RECORD"
    record.write_text(record.read_text() + f"demo/__pycache__/core.{TAG}.pyc,,\ndemo/old.pyc,,\n")
    # when pruned
    prune_layer(str(site))
    # then modules and metadata remain, and RECORD lists exactly what still ships
    assert _files(site) == [
        "demo-1.0.dist-info/METADATA",
        "demo-1.0.dist-info/RECORD",
        "demo/__init__.py",
        "demo/core.py",
    ]
    assert record.read_text() == "demo/__init__.py,,\ndemo/core.py,,\n"


def test_a_record_of_shipped_files_only_is_left_as_it_is(tmp_path: Path) -> None:
    # given a RECORD whose every row ships, written with the CRLF line ends a wheel may carry
    site = installed_layer(tmp_path / "python")
    record = site / "demo-1.0.dist-info" / "RECORD"
    record.write_bytes(b"demo/__init__.py,sha256=x,1\r\ndemo/core.py,sha256=y,2\r\n")
    prune_layer(str(site))
    assert record.read_bytes() == b"demo/__init__.py,sha256=x,1\r\ndemo/core.py,sha256=y,2\r\n"


def test_without_a_compiler_there_is_no_bytecode() -> None:
    bytecode = Bytecode("", "")
    assert (bytecode.tag, bytecode.setting) == (None, "bytecode none")


def test_the_setting_names_the_compilers_patch_release() -> None:
    # the layer's key must change with the compiler: patch releases may emit other bytes
    assert Bytecode("/usr/bin/python3.13", "3.13.1").setting != Bytecode("/usr/bin/python3.13", "3.13.2").setting
    assert Bytecode("/usr/bin/python3.13", "3.13.1").tag == "cpython-313"


def test_compiled_modules_ship_beside_their_source_named_as_on_lambda(tmp_path: Path) -> None:
    # given an installed layer, and bytecode of another Python left in its caches after compiling
    site = installed_layer(tmp_path / "python")
    bytecode = Bytecode(sys.executable, platform.python_version())
    bytecode.compile(str(site), LAYER_SITE)
    (site / "demo" / "__pycache__" / "core.cpython-39.pyc").write_bytes(b"other")
    # when its entries are listed as the layer zip takes them
    entries = [("python/" + arcname, path) for arcname, path in tree_files(str(site))]
    shipped = dict(bytecode.with_bytecode(entries))
    # then each module has this build's bytecode beside it, and nothing else was added
    added = sorted(set(shipped) - {arcname for arcname, _ in entries})
    assert added == [f"python/demo/__pycache__/__init__.{TAG}.pyc", f"python/demo/__pycache__/core.{TAG}.pyc"]
    # and that bytecode is unchecked hash-based, under the name Lambda gives the source
    pyc = read_pyc(Path(shipped[f"python/demo/__pycache__/core.{TAG}.pyc"]).read_bytes())
    assert pyc.flags == HASH_BASED_UNCHECKED
    assert {c.co_filename for c in code_objects(pyc.code)} == {f"{LAYER_SITE}/demo/core.py"}


def test_a_module_that_does_not_compile_ships_as_source_with_a_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # given a layer with a Python 2 example beside a good module
    site = installed_layer(tmp_path / "python")
    (site / "demo" / "example.py").write_text("print 'hello'\n")
    bytecode = Bytecode(sys.executable, platform.python_version())
    # when compiled
    bytecode.compile(str(site), LAYER_SITE)
    # then the good modules are compiled, the bad one is not, and a warning names it
    assert sorted(p.name for p in (site / "demo" / "__pycache__").iterdir()) == [
        f"__init__.{TAG}.pyc",
        f"core.{TAG}.pyc",
    ]
    warning = capsys.readouterr().err
    assert warning.startswith("build.sh: warning: some files of the layer do not compile")
    assert "example.py" in warning

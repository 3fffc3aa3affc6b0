"""buildtools.files: a function's zip takes its deployable files and common/; the layer takes all."""

from __future__ import annotations

from pathlib import Path

import pytest

from buildtools.files import function_entries, function_files, function_names, is_test_or_cache_file, tree_files
from tests.build.small_tree import small_tree


def _touch(root: Path, *names: str) -> None:
    for name in names:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("")


@pytest.mark.parametrize(
    "name",
    ["test_handler.py", "handler_test.py", "conftest.py", "handler.pyc", "handler.pyo", ".DS_Store", ".x.swp"],
)
def test_tests_caches_and_dotfiles_are_not_deployable(name: str) -> None:
    assert is_test_or_cache_file(name)


@pytest.mark.parametrize("name", ["handler.py", "testing.py", "latest.py", "test_data.json", "contest.py"])
def test_code_and_data_are_deployable(name: str) -> None:
    assert not is_test_or_cache_file(name)


def test_function_files_skip_test_cache_hidden_and_egg_info_folders(tmp_path: Path) -> None:
    # given a function folder with a subpackage and folders that must never ship
    src = tmp_path / "fn"
    _touch(src, "handler.py", "pkg/util.py", "pkg/page.html")
    _touch(src, "tests/helper.py", "pkg/test/data.py", "__pycache__/handler.cpython-313.pyc")
    _touch(src, ".mypy_cache/x.json", ".idea/workspace.xml", "fn.egg-info/PKG-INFO")
    # when its files are listed under a prefix
    found = function_files(str(src), "fn/")
    # then only the code and data remain, named with forward slashes under the prefix
    assert sorted(arcname for arcname, _ in found) == ["fn/handler.py", "fn/pkg/page.html", "fn/pkg/util.py"]
    assert all(Path(path) == src / arcname.removeprefix("fn/") for arcname, path in found)


def test_tree_files_keep_everything_but_bytecode_caches(tmp_path: Path) -> None:
    # given an installed layer, whose tests and dotfiles belong to the packages
    _touch(tmp_path, "pkg/__init__.py", "pkg/tests/test_x.py", "pkg/.hidden", "pkg/__pycache__/x.pyc")
    assert sorted(arcname for arcname, _ in tree_files(str(tmp_path))) == [
        "pkg/.hidden",
        "pkg/__init__.py",
        "pkg/tests/test_x.py",
    ]


def test_functions_are_the_folders_with_a_handler_but_common(tmp_path: Path) -> None:
    root = small_tree(tmp_path)
    _touch(root / "functions", "beta/handler.py", "common/handler.py", "notes/README.md")
    assert function_names(str(root)) == ["alpha", "beta"]


def test_a_function_zip_takes_the_function_and_common(tmp_path: Path) -> None:
    root = small_tree(tmp_path)
    assert sorted(arcname for arcname, _ in function_entries(str(root), "alpha")) == [
        "alpha/__init__.py",
        "alpha/handler.py",
        "common/__init__.py",
        "common/util.py",
    ]

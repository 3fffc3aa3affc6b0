"""Two builds of the same sources in two clean trees give byte-identical artifacts."""

from __future__ import annotations

import stat
import zipfile

import pytest

from tests.build.artifacts import ZIP_EPOCH, manifest
from tests.build.conftest import ARCHES, Built, build_env, build_ok, copy_clean_tree, run_build


@pytest.fixture(scope="module")
def second_build(tmp_path_factory: pytest.TempPathFactory) -> Built:
    tree = copy_clean_tree(tmp_path_factory.mktemp("clone-b"))
    for arch in ARCHES:
        build_ok(tree, arch)
    return Built(tree)


@pytest.mark.parametrize("arch", ARCHES)
def test_two_clean_trees_build_identical_bytes(built: Built, second_build: Built, arch: str) -> None:
    # given two clean trees of the same sources, built at different times
    # when their outputs are compared
    first = {p.name: p.read_bytes() for p in built.out(arch).iterdir() if p.is_file() and p.name != ".lock"}
    second = {
        p.name: p.read_bytes() for p in second_build.out(arch).iterdir() if p.is_file() and p.name != ".lock"
    }
    # then every zip and the manifest are the same bytes
    assert sorted(first) == sorted(second)
    assert {"layer.zip", "manifest.json"} <= set(first)
    for name, content in first.items():
        assert content == second[name], f"{arch}/{name} differs between two clean builds"


@pytest.mark.parametrize("arch", ARCHES)
def test_zip_entries_are_sorted_with_fixed_time_and_permissions(built: Built, arch: str) -> None:
    for artifact in manifest(built.out(arch))["artifacts"].values():
        with zipfile.ZipFile(built.out(arch) / artifact["path"]) as zf:
            infos = zf.infolist()
        assert [i.filename for i in infos] == sorted(i.filename for i in infos)
        for info in infos:
            mode = info.external_attr >> 16
            assert info.date_time == ZIP_EPOCH, info.filename
            assert info.create_system == 3, info.filename
            if info.is_dir():
                assert stat.S_ISDIR(mode)
                assert stat.S_IMODE(mode) == 0o755, info.filename
            else:
                assert stat.S_ISREG(mode)
                assert stat.S_IMODE(mode) in (0o644, 0o755), info.filename
                assert info.compress_type == zipfile.ZIP_DEFLATED, info.filename


def test_source_date_epoch_sets_the_entries_time(derived: Built) -> None:
    # given a build with SOURCE_DATE_EPOCH (reproducible-builds.org) set to 2024-05-06 07:08:10 UTC
    result = run_build(derived.tree, "--arch", "x86_64", env=build_env(SOURCE_DATE_EPOCH="1714979290"))
    assert result.returncode == 0, result.stderr
    # then the time is part of the inputs (the layer was rebuilt) and stamped on every entry
    with zipfile.ZipFile(derived.out("x86_64") / "layer.zip") as zf:
        assert {i.date_time for i in zf.infolist()} == {(2024, 5, 6, 7, 8, 10)}

"""buildtools.zips: the same entries give the same zip bytes, with fixed times and permissions."""

from __future__ import annotations

import os
import stat
import zipfile
from pathlib import Path

import pytest

from buildtools.zips import epoch_date_time, write_zip


@pytest.fixture
def sources(tmp_path: Path) -> dict[str, Path]:
    files = {"pkg/sub/data.txt": b"data\n", "pkg/run.sh": b"#!/bin/sh\n", "top.py": b"X = 1\n"}
    paths = {}
    for arcname, content in files.items():
        path = tmp_path / "src" / arcname
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
        path.chmod(0o600)
        paths[arcname] = path
    paths["pkg/run.sh"].chmod(0o700)
    return paths


def _entries(sources: dict[str, Path]) -> list[tuple[str, str]]:
    return [(arcname, str(path)) for arcname, path in sources.items()]


def test_same_entries_give_same_bytes_whatever_their_order_and_mtimes(
    sources: dict[str, Path], tmp_path: Path
) -> None:
    # given a zip of some files
    first, second = tmp_path / "first.zip", tmp_path / "second.zip"
    write_zip(str(first), _entries(sources))
    # when the files get other mtimes and are zipped again, listed the other way round
    for path in sources.values():
        os.utime(path, (1_700_000_000, 1_700_000_000))
    write_zip(str(second), list(reversed(_entries(sources))))
    # then both zips are the same bytes
    assert first.read_bytes() == second.read_bytes()


def test_entries_are_sorted_and_every_folder_has_its_entry(sources: dict[str, Path], tmp_path: Path) -> None:
    target = tmp_path / "out.zip"
    write_zip(str(target), _entries(sources))
    with zipfile.ZipFile(target) as zf:
        assert zf.namelist() == ["pkg/", "pkg/run.sh", "pkg/sub/", "pkg/sub/data.txt", "top.py"]
        assert zf.read("pkg/sub/data.txt") == b"data\n"


def test_permissions_are_normalised_to_the_executable_bit(sources: dict[str, Path], tmp_path: Path) -> None:
    # given sources readable by their owner only, one of them executable
    target = tmp_path / "out.zip"
    # when zipped
    write_zip(str(target), _entries(sources))
    # then files are 0644 or (executable) 0755, folders 0755 and flagged as such for MS-DOS too,
    # all as written on Unix, and files are deflated
    with zipfile.ZipFile(target) as zf:
        infos = {i.filename: i for i in zf.infolist()}
    assert {name: i.external_attr >> 16 for name, i in infos.items()} == {
        "pkg/": stat.S_IFDIR | 0o755,
        "pkg/sub/": stat.S_IFDIR | 0o755,
        "pkg/run.sh": stat.S_IFREG | 0o755,
        "pkg/sub/data.txt": stat.S_IFREG | 0o644,
        "top.py": stat.S_IFREG | 0o644,
    }
    assert {name for name, i in infos.items() if i.external_attr & 0x10} == {"pkg/", "pkg/sub/"}
    assert {i.create_system for i in infos.values()} == {3}
    assert {i.compress_type for i in infos.values() if not i.is_dir()} == {zipfile.ZIP_DEFLATED}


@pytest.mark.parametrize(
    ("source_date_epoch", "expected"),
    [
        (None, (1980, 1, 1, 0, 0, 0)),
        ("", (1980, 1, 1, 0, 0, 0)),
        ("1714979290", (2024, 5, 6, 7, 8, 10)),
        ("0", (1980, 1, 1, 0, 0, 0)),  # zip times cannot predate 1980
    ],
)
def test_entries_carry_the_source_date_epoch_or_1980(
    sources: dict[str, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    source_date_epoch: str | None,
    expected: tuple[int, ...],
) -> None:
    if source_date_epoch is None:
        monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    else:
        monkeypatch.setenv("SOURCE_DATE_EPOCH", source_date_epoch)
    target = tmp_path / "out.zip"
    write_zip(str(target), _entries(sources))
    assert epoch_date_time() == expected
    with zipfile.ZipFile(target) as zf:
        assert {i.date_time for i in zf.infolist()} == {expected}


def test_a_failed_write_leaves_the_previous_zip_intact(sources: dict[str, Path], tmp_path: Path) -> None:
    # given a zip built before
    target = tmp_path / "out.zip"
    write_zip(str(target), _entries(sources))
    before = target.read_bytes()
    # when a rebuild fails halfway (a source vanished)
    with pytest.raises(FileNotFoundError):
        write_zip(str(target), [*_entries(sources), ("zz/gone.py", str(tmp_path / "gone.py"))])
    # then the zip is the one of the last good build
    assert target.read_bytes() == before

"""Reproducible zips: the same entries give the same bytes on any machine, whenever written, which
the zip(1) tool does not guarantee."""

from __future__ import annotations

import os
import stat
import time

from buildtools.files import Entry

# Zip timestamps cannot predate 1980-01-01 (the DOS epoch).
ZIP_EPOCH = 315532800
UNIX = 3  # ZipInfo.create_system: external_attr then carries Unix permissions
MS_DOS_DIRECTORY = 0x10
COMPRESSION_LEVEL = 6

DateTime = tuple[int, int, int, int, int, int]


def epoch_date_time() -> DateTime:
    """Every entry's time: 1980-01-01, or SOURCE_DATE_EPOCH (reproducible-builds.org) if set."""
    epoch = max(int(os.environ.get("SOURCE_DATE_EPOCH") or ZIP_EPOCH), ZIP_EPOCH)
    t = time.gmtime(epoch)
    return (t.tm_year, t.tm_mon, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec)


def is_executable(path: str) -> bool:
    return bool(os.stat(path).st_mode & stat.S_IXUSR)


def write_zip(target: str, entries: list[Entry]) -> None:
    """Sorted entries, directory entries included, fixed time/permissions/compression; atomic."""
    import zipfile

    date_time = epoch_date_time()
    names: dict[str, str | None] = {}
    for arcname, path in entries:
        names[arcname] = path
        parts = arcname.split("/")[:-1]
        for i in range(1, len(parts) + 1):
            names.setdefault("/".join(parts[:i]) + "/", None)
    tmp = target + ".tmp"
    with zipfile.ZipFile(tmp, "w") as zf:
        for arcname in sorted(names):
            info = zipfile.ZipInfo(arcname, date_time=date_time)
            info.create_system = UNIX
            source = names[arcname]
            if source is None:
                info.external_attr = (stat.S_IFDIR | 0o755) << 16 | MS_DOS_DIRECTORY
                zf.writestr(info, b"")
                continue
            mode = 0o755 if is_executable(source) else 0o644
            info.external_attr = (stat.S_IFREG | mode) << 16
            with open(source, "rb") as f:
                zf.writestr(
                    info, f.read(), compress_type=zipfile.ZIP_DEFLATED, compresslevel=COMPRESSION_LEVEL
                )
    os.replace(tmp, target)

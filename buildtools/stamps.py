"""What keeps the build incremental: each artifact's stamp, <dest>/.stamps/<name>.json, holds the
hash of its inputs and of the bytes last written; an artifact whose stamp matches both is fresh."""

from __future__ import annotations

import hashlib
import json
import os

from buildtools.files import Entry
from buildtools.zips import epoch_date_time, is_executable

BUILD_SCRIPT = "build.sh"
PACKAGE = "buildtools"


def sha256_of(path: str) -> bytes:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.digest()


def build_code_hash(root: str) -> str:
    """Hash of the build's own code, build.sh and this package's modules: a change to how artifacts
    are made is a change to every artifact's inputs."""
    package = os.path.join(root, PACKAGE)
    names = [BUILD_SCRIPT, *sorted(f"{PACKAGE}/{n}" for n in os.listdir(package) if n.endswith(".py"))]
    h = hashlib.sha256()
    for name in names:
        h.update(name.encode() + b"\0" + sha256_of(os.path.join(root, name)))
    return h.hexdigest()


def inputs_key(entries: list[Entry], *extra: str) -> str:
    """Hash of what an artifact is made of: names, executable bits, contents, and build settings."""
    h = hashlib.sha256()
    for value in extra:
        h.update(value.encode() + b"\0")
    h.update(str(epoch_date_time()).encode() + b"\0")
    for arcname, path in sorted(entries):
        h.update(arcname.encode() + b"\0" + str(is_executable(path)).encode() + b"\0")
        h.update(sha256_of(path))
    return h.hexdigest()


def stamp_path(dest: str, name: str) -> str:
    return os.path.join(dest, ".stamps", name + ".json")


def is_fresh(dest: str, name: str, key: str) -> bool:
    """The artifact exists, its inputs are unchanged, and its bytes are the ones last written."""
    try:
        with open(stamp_path(dest, name)) as f:
            stamp = json.load(f)
        # The zip is hashed only if the inputs match: a stale layer is not read for nothing.
        zip_path = os.path.join(dest, name + ".zip")
        return stamp["inputs"] == key and stamp["sha256"] == sha256_of(zip_path).hex()
    except (OSError, ValueError, KeyError):
        return False


def save_stamp(dest: str, name: str, key: str) -> None:
    os.makedirs(os.path.join(dest, ".stamps"), exist_ok=True)
    sha = sha256_of(os.path.join(dest, name + ".zip")).hex()
    with open(stamp_path(dest, name), "w") as f:
        json.dump({"inputs": key, "sha256": sha}, f)

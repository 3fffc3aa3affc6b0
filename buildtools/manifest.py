"""manifest.json: per artifact its path, hashes (base64sha256 for Terraform), size and bytecode."""

from __future__ import annotations

import base64
import json
import os

from buildtools.bytecode import Bytecode
from buildtools.files import function_names
from buildtools.stamps import sha256_of, stamp_path


def write_manifest(root: str, dest: str, runtime: str, arch: str, bytecode: Bytecode) -> None:
    """Write manifest.json only if its content changes; drop artifacts of removed functions. Each
    artifact names the cache tag of the bytecode it ships: the layer's, none for function zips."""
    names = [*function_names(root), "layer"]
    remove_leftovers(dest, names)
    text = manifest_text(dest, names, runtime, arch, bytecode)
    target = os.path.join(dest, "manifest.json")
    if read_text(target) == text:
        print("  manifest.json: up to date")
        return
    with open(target + ".tmp", "w") as f:
        f.write(text)
    os.replace(target + ".tmp", target)
    print("  manifest.json: written")


def remove_leftovers(dest: str, names: list[str]) -> None:
    """Delete the zip and stamp of every stamped artifact not in names (a function deleted since)."""
    for leftover in os.listdir(os.path.join(dest, ".stamps")):
        name = leftover.removesuffix(".json")
        if name not in names:
            for path in (os.path.join(dest, name + ".zip"), stamp_path(dest, name)):
                if os.path.exists(path):
                    os.remove(path)
            print(f"  {name}.zip: removed (no such function any more)")


def manifest_text(dest: str, names: list[str], runtime: str, arch: str, bytecode: Bytecode) -> str:
    artifacts = {}
    for name in names:
        path = os.path.join(dest, name + ".zip")
        sha = sha256_of(path)
        artifacts[name] = {
            "path": name + ".zip",
            "sha256": sha.hex(),
            "base64sha256": base64.b64encode(sha).decode(),
            "size": os.path.getsize(path),
            "bytecode": bytecode.tag if name == "layer" else None,
        }
    manifest = {"runtime": runtime, "architecture": arch, "artifacts": artifacts}
    return json.dumps(manifest, indent=2, sort_keys=True) + "\n"


def read_text(path: str) -> str | None:
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return None

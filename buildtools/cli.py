"""The two commands build.sh runs. `build`: the function zips, then the layer's freshness; a fresh
layer ends the build with the manifest, one interpreter start in all. A stale one exits with
LAYER_STALE, build.sh installs its wheels, and `layer` zips and stamps it, then writes the manifest.
"""

from __future__ import annotations

import os
import sys

from buildtools.bytecode import LAYER_SITE, Bytecode
from buildtools.files import function_entries, function_names, tree_files
from buildtools.layer import prune_layer
from buildtools.manifest import write_manifest
from buildtools.stamps import build_code_hash, inputs_key, is_fresh, save_stamp
from buildtools.zips import write_zip

LAYER_STALE = 3  # build.sh's case on the exit status of `build`


def layer_key_file(work: str) -> str:
    """Where `build` leaves the stale layer's inputs key for `layer` to stamp."""
    return os.path.join(work, "layer.key")


def build_functions(root: str, dest: str, force: bool, code_hash: str) -> None:
    """Zip every function whose inputs changed, source only; print one line per function."""
    for name in function_names(root):
        entries = function_entries(root, name)
        key = inputs_key(entries, code_hash)
        if not force and is_fresh(dest, name, key):
            print(f"  {name}.zip: up to date")
            continue
        write_zip(os.path.join(dest, name + ".zip"), entries)
        save_stamp(dest, name, key)
        print(f"  {name}.zip: built ({os.path.getsize(os.path.join(dest, name + '.zip'))} bytes)")


def cmd_build(
    root: str,
    dest: str,
    *,
    force: bool,
    runtime: str,
    arch: str,
    platforms: str,
    work: str,
    bytecode: Bytecode,
) -> int:
    """Functions, then the layer's freshness: up to date -> manifest, 0; else the layer's inputs key
    goes to the work folder and the result is LAYER_STALE (build.sh installs it)."""
    code_hash = build_code_hash(root)
    build_functions(root, dest, force, code_hash)
    req = os.path.join(root, "layer", "requirements.txt")
    key = inputs_key([("requirements.txt", req)], code_hash, runtime, arch, platforms, bytecode.setting)
    if force or not is_fresh(dest, "layer", key):
        with open(layer_key_file(work), "w") as f:
            f.write(key)
        return LAYER_STALE
    print("  layer.zip: up to date")
    write_manifest(root, dest, runtime, arch, bytecode)
    return 0


def cmd_layer(root: str, dest: str, *, runtime: str, arch: str, work: str, bytecode: Bytecode) -> None:
    """The layer installed in <work>/python: pruned, compiled, zipped under python/, stamped; then
    the manifest."""
    site = os.path.join(work, "python")
    prune_layer(site)
    if bytecode.tag:
        bytecode.compile(site, LAYER_SITE)
    with open(layer_key_file(work)) as f:
        key = f.read()
    entries = [("python/" + arcname, path) for arcname, path in tree_files(site)]
    write_zip(os.path.join(dest, "layer.zip"), bytecode.with_bytecode(entries))
    save_stamp(dest, "layer", key)
    print(f"  layer.zip: built ({os.path.getsize(os.path.join(dest, 'layer.zip'))} bytes)")
    write_manifest(root, dest, runtime, arch, bytecode)


def main(argv: list[str]) -> None:
    """build ROOT DEST FORCE(0|1) RUNTIME ARCH PLATFORMS WORK COMPILER COMPILER_VERSION, or
    layer ROOT DEST RUNTIME ARCH WORK COMPILER COMPILER_VERSION (no compiler: both "")."""
    command, *args = argv or [""]
    if command == "build":
        root, dest, force, runtime, arch, platforms, work, compiler, version = args
        bytecode = Bytecode(compiler, version)
        status = cmd_build(
            root,
            dest,
            force=force == "1",
            runtime=runtime,
            arch=arch,
            platforms=platforms,
            work=work,
            bytecode=bytecode,
        )
        sys.exit(status)
    if command == "layer":
        root, dest, runtime, arch, work, compiler, version = args
        cmd_layer(root, dest, runtime=runtime, arch=arch, work=work, bytecode=Bytecode(compiler, version))
        return
    sys.exit(f"buildtools: unknown command {command!r} (expected build or layer; build.sh runs it)")

"""The layer's bytecode: compiled once at build time by a CPython of the runtime's version, since
Lambda's read-only /opt keeps Python from caching it at a cold start."""

from __future__ import annotations

import os
import sys

from buildtools.files import Entry

# Where Lambda extracts the layer's python/ folder: the file names compiled into its bytecode
# (co_filename), so the bytes do not depend on the folder the build ran in. (At import, Python
# renames the code after the source's real path anyway, so tracebacks are right wherever it lives.)
LAYER_SITE = "/opt/python"


class Bytecode:
    """The layer's bytecode: its cache tag (cpython-313) and the interpreter that compiles it, or
    none (no interpreter of the target's version was found: compiler and version are "")."""

    def __init__(self, compiler: str, version: str) -> None:
        self.compiler = compiler
        self.tag = "cpython-" + "".join(version.split(".")[:2]) if compiler else None
        # Part of the layer's input key: other bytecode (or none) is another layer. The patch
        # release is in it too, as compilers of one minor version may emit different bytes.
        self.setting = f"bytecode {self.tag} CPython {version}" if compiler else "bytecode none"

    def compile(self, tree: str, prefix: str) -> None:
        """A .pyc beside every .py under tree (laid out as it is extracted under prefix).
        Unchecked hash-based pycs (PEP 552) hold no mtime and are used without reading the source;
        -I -S: the compiler's state (hence the bytes, e.g. which strings marshal shares) depends on
        nothing in the environment; one process, files in sorted order, for the same reason."""
        import subprocess

        command = [self.compiler, "-I", "-S", "-m", "compileall", "-q", "-f", "--invalidation-mode"]
        command += ["unchecked-hash", "-d", prefix, tree]
        result = subprocess.run(  # noqa: S603 - the build's interpreter and fixed flags, no shell
            command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False
        )
        if result.returncode != 0:
            # Third-party files that do not compile (say, a py2 example) fail on Lambda too if
            # imported; like pip, ship them as source and go on.
            print(
                f"build.sh: warning: some files of the layer do not compile, shipped as source only:\n"
                f"{result.stdout}",
                file=sys.stderr,
            )

    def with_bytecode(self, entries: list[Entry]) -> list[Entry]:
        """entries plus the bytecode compile() wrote for each .py among them: only caches of this
        build, each in the __pycache__ beside its source, for the target version only."""
        found = list(entries)
        if not self.tag:
            return found
        for arcname, path in entries:
            if arcname.endswith(".py"):
                folder, name = os.path.split(path)
                cached = os.path.join(folder, "__pycache__", f"{name[:-3]}.{self.tag}.pyc")
                if os.path.isfile(cached):
                    arcfolder, _, arcfile = arcname.rpartition("/")
                    prefix = arcfolder + "/" if arcfolder else ""
                    found.append((f"{prefix}__pycache__/{arcfile[:-3]}.{self.tag}.pyc", cached))
        return found

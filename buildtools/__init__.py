"""The build's Python, run by build.sh: deterministic zips, the stamps that keep the build
incremental, the layer's bytecode and the manifest (format: docs/architecture.md, "Build artifacts").

Standard library only, and Python >= 3.9 syntax and APIs: build.sh runs it with `-I -S` under the
interpreter that builds (PYTHON, else python3 on PATH), which need not be the dev venv's.

This file has no `from __future__ import annotations`, so that any Python 3 parses it and an older
one is told what to do instead of failing on the syntax of the modules below.
"""

import sys

# The one check ruff's py39 target calls outdated: it is there for the interpreters below that target.
if sys.version_info < (3, 9):  # noqa: UP036
    sys.exit(
        f"build.sh: error: {sys.executable} is Python {sys.version.split()[0]}; "
        "build.sh needs >= 3.9 (set PYTHON=...)"
    )

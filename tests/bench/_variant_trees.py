"""Copies of the shipped trees (an unpacked function zip as /var/task, the layer as /opt/python)
with one thing changed, for the benchmarks' A/B variants: ``coldstart`` and ``import_costs``.

Each copy starts afresh (whatever an earlier run left at ``dest`` is removed) and is returned.
Bytecode added here is compiled as build.sh compiles the layer: unchecked-hash ``.pyc`` beside each
source (PEP 552), so a copy loads as the shipped tree would.
"""

from __future__ import annotations

import ast
import compileall
import importlib.util
import py_compile
import shutil
import sys
from pathlib import Path
from typing import Any


class BenchError(RuntimeError):
    pass


# The X-Ray SDK and its dependency, as the layer shipped them before issue 16 (the dev venv pins the
# same versions): for the benchmarks' "before" rows only.
XRAY_SDK_PACKAGES = ("aws_xray_sdk", "wrapt")
# What common/tracing.py built with tracing on before issue 16: the stock Tracer, the X-Ray SDK its provider.
OUR_PROVIDER = "Tracer(disabled=False, auto_patch=True, patch_modules=patch_modules, provider=XRayProvider())"
STOCK_PROVIDER = "Tracer(patch_modules=patch_modules)"
# Powertools packages whose __init__ imports every submodule (the upstream change ``lazy_layer`` measures).
LAZY_PACKAGES = ("aws_lambda_powertools/event_handler", "aws_lambda_powertools/utilities/data_classes")


def installed(package: str) -> Path:
    """Where ``package`` (or a single-file module) is installed in this venv: its file."""
    spec = importlib.util.find_spec(package)
    if spec is None or spec.origin is None:
        raise BenchError(f"{package} is not installed in {sys.prefix} (make venv)")
    return Path(spec.origin)


def without_bytecode(tree: Path, dest: Path) -> Path:
    """``tree`` without the __pycache__ folders build.sh put in it."""
    return _fresh_copy(tree, dest, ignore=shutil.ignore_patterns("__pycache__"))


def compiled(tree: Path, dest: Path) -> Path:
    """``tree`` with bytecode beside every source (the function zips ship none, for their size)."""
    _compile(_fresh_copy(tree, dest))
    return dest


def layer_with_xray_sdk(layer: Path, dest: Path) -> Path:
    """The layer plus the dev venv's X-Ray SDK and wrapt, as the layer shipped them before."""
    _fresh_copy(layer, dest, symlinks=True)
    for package in XRAY_SDK_PACKAGES:
        shutil.copytree(
            installed(package).parent, dest / package, ignore=shutil.ignore_patterns("__pycache__")
        )
        _compile(dest / package)
    return dest


def task_with_the_xray_sdk(task: Path, dest: Path) -> Path:
    """A function's tree whose ``make_tracer`` builds the stock Tracer (the X-Ray SDK's provider)."""
    _fresh_copy(task, dest)
    tracing = dest / "common" / "tracing.py"
    source = tracing.read_text()
    if OUR_PROVIDER not in source:
        raise BenchError(f"{tracing} no longer builds {OUR_PROVIDER}: update this benchmark")
    tracing.write_text(source.replace(OUR_PROVIDER, STOCK_PROVIDER))
    return dest


def lazy_layer(layer: Path, dest: Path) -> Path:
    """The layer with PEP 562 ``__init__``s in ``LAZY_PACKAGES`` (never shipped: measurement only)."""
    _fresh_copy(layer, dest, symlinks=True)
    for package in LAZY_PACKAGES:
        init = dest / package / "__init__.py"
        init.write_text(lazy_init(init.read_text(), package.replace("/", ".")))
        for stale in (init.parent / "__pycache__").glob("__init__.*.pyc"):
            stale.unlink()  # unchecked-hash bytecode would be used in place of the new source
    return dest


def lazy_init(source: str, package: str) -> str:
    """A PEP 562 ``__init__`` with the same public names as ``source``'s ``from ... import`` lines."""
    where: dict[str, str] = {}
    for node in ast.parse(source).body:
        if isinstance(node, ast.ImportFrom) and node.module != "__future__":
            module = "." * node.level + (node.module or "")
            if not module.startswith("."):
                module = "." + module.removeprefix(package + ".")
            for alias in node.names:
                where[alias.asname or alias.name] = module
    return (
        '"""Measurement only: names resolved on first use (PEP 562)."""\n'
        "import importlib\n\n"
        f"_WHERE = {where!r}\n__all__ = list(_WHERE)\n\n\n"
        "def __getattr__(name):\n"
        "    if name not in _WHERE:\n"
        "        raise AttributeError(f'module {__name__!r} has no attribute {name!r}')\n"
        "    return getattr(importlib.import_module(_WHERE[name], __name__), name)\n"
    )


def _fresh_copy(tree: Path, dest: Path, **copytree: Any) -> Path:
    shutil.rmtree(dest, ignore_errors=True)
    shutil.copytree(tree, dest, **copytree)
    return dest


def _compile(tree: Path) -> None:
    compileall.compile_dir(tree, quiet=2, invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)

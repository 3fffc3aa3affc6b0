"""The Lambda runtime an execution environment runs: an interpreter and a ``/var/runtime``.

For ``python3.X`` the interpreter is the host's ``python3.X`` (PATH, then pyenv's versions); the
runtime folder (``LAMBDA_RUNTIME_DIR``) holds what the AWS base image has in ``/var/runtime``:
awslambdaric and boto3 (``requirements.txt`` beside this file). It is installed once per interpreter
into the cache, from PyPI, at ``make up``; invocations never touch the network or the dev venv.

``provided.al2023`` / ``provided.al2`` need no interpreter: the environment runs the zip's (or a
layer's) ``bootstrap`` executable against the Runtime API, as Lambda does.
"""

from __future__ import annotations

import glob
import hashlib
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

REQUIREMENTS = Path(__file__).with_name("requirements.txt")
BOOTSTRAP = Path(__file__).with_name("bootstrap.py")


class RuntimeUnavailableError(Exception):
    """The runtime cannot be provided on this machine (the message says why and what to do)."""


@dataclass(frozen=True)
class Runtime:
    name: str  # python3.13, provided.al2023
    python: Path | None  # None for provided.* runtimes
    python_version: str  # "3.13.0"; "" for provided.*
    runtime_dir: Path | None  # LAMBDA_RUNTIME_DIR (awslambdaric + boto3); None for provided.*
    exact: bool  # the interpreter is the runtime's own minor version

    @property
    def is_python(self) -> bool:
        return self.python is not None

    @property
    def bootstrap(self) -> Path | None:
        """The entry script in the runtime folder (see bootstrap.py)."""
        return self.runtime_dir / BOOTSTRAP.name if self.runtime_dir is not None else None


def python_minor(runtime: str) -> str | None:
    """``python3.13`` -> ``3.13``; None for a runtime that is not Python."""
    if runtime.startswith("python3."):
        return runtime.removeprefix("python")
    return None


def _probe(candidate: str) -> tuple[Path, str] | None:
    """(real executable, full version) of a python command, resolving pyenv shims once."""
    try:
        out = subprocess.run(  # noqa: S603 - a python found on PATH or in pyenv, no shell
            # The base interpreter, not a virtualenv's wrapper (make puts .venv/bin first on PATH).
            [
                candidate,
                "-c",
                "import sys, platform; print(getattr(sys, '_base_executable', sys.executable)); "
                "print(platform.python_version())",
            ],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        ).stdout.split()
    except (OSError, subprocess.SubprocessError):
        return None
    return (Path(out[0]), out[1]) if len(out) == 2 else None


def find_interpreter(minor: str) -> tuple[Path, str, bool]:
    """The host interpreter for Python ``minor`` (e.g. "3.13"): PATH, then pyenv, else this one."""
    candidates = [f"python{minor}"]
    pyenv_roots = [os.environ.get("PYENV_ROOT", ""), str(Path.home() / ".pyenv")]
    if pyenv := shutil.which("pyenv"):
        root = subprocess.run(  # noqa: S603 - the pyenv on PATH, no shell
            [pyenv, "root"], capture_output=True, text=True, check=False
        ).stdout.strip()
        pyenv_roots.insert(0, root)
    for root in filter(None, pyenv_roots):
        # Highest patch release first: 3.13.10 sorts after 3.13.9 by its numbers, not its text.
        versions = glob.glob(f"{root}/versions/{minor}.*/bin/python{minor}")
        candidates += sorted(versions, key=_version_key, reverse=True)
    for candidate in candidates:
        probed = _probe(candidate)
        if probed and probed[1].startswith(f"{minor}."):
            return probed[0], probed[1], True
    return Path(getattr(sys, "_base_executable", sys.executable)), platform.python_version(), False


def _version_key(path: str) -> tuple[int, ...]:
    version = Path(path).parent.parent.name
    return tuple(int(part) for part in version.split(".") if part.isdigit())


def _installer(python: Path, target: Path) -> list[str]:
    uv = shutil.which("uv") or str(Path(sys.executable).with_name("uv"))
    if Path(uv).exists():
        return [uv, "pip", "install", "--quiet", "--python", str(python), "--target", str(target)]
    return [
        str(python),
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "--target",
        str(target),
    ]


def provision(runtime: str, cache_dir: Path, say: Callable[[str], None] = print) -> Runtime:
    """The runtime ``runtime``, installing its runtime folder into ``cache_dir`` the first time."""
    if runtime.startswith("provided"):
        return Runtime(runtime, None, "", None, exact=True)
    minor = python_minor(runtime)
    if minor is None:
        raise RuntimeUnavailableError(
            f"runtime {runtime} is not supported by the local executor (python3.x and provided.* are)"
        )
    python, version, exact = find_interpreter(minor)
    if not exact:
        say(
            f"warning: no python{minor} on this machine (PATH or pyenv); {runtime} functions run on "
            f"Python {version} ({python}). Install it (e.g. `pyenv install {minor}`) for a faithful runtime."
        )
    digest = hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()[:12]
    target = cache_dir / "runtime" / f"{runtime}-py{version}-{platform.machine()}-{digest}"
    if not target.is_dir():
        say(f"installing the {runtime} runtime (awslambdaric, boto3) for Python {version} into {target}")
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=target.parent))
        try:
            installer = [*_installer(python, staging), "-r", str(REQUIREMENTS)]
            subprocess.run(installer, check=True)  # noqa: S603 - pip/uv and the pinned requirements, no shell
            staging.rename(target)  # atomic: a half-done install is never mistaken for a complete one
        except subprocess.CalledProcessError as error:
            raise RuntimeUnavailableError(f"could not install the {runtime} runtime: {error}") from error
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    entry = target / BOOTSTRAP.name
    if not entry.exists() or entry.read_bytes() != BOOTSTRAP.read_bytes():
        shutil.copyfile(BOOTSTRAP, entry)
    return Runtime(runtime, python, version, target, exact)

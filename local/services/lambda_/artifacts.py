"""Function code and layers on disk: the ``/var/task`` and ``/opt`` of an execution environment.

Code is the zip the control plane holds, downloaded from ``GetFunction``'s ``Code.Location`` and
checked against ``CodeSha256``; layers come from ``GetLayerVersion``'s ``Content.Location`` and are
extracted in the function's order into one folder, later layers overwriting earlier ones, as Lambda
does. Both are cached by content hash, so environments (and versions) with the same code share them.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import io
import shutil
import stat
import tempfile
import zipfile
from pathlib import Path

from local.control_client import ControlPlaneClient, ControlPlaneError
from local.invoke import InvokeError
from local.services.lambda_.functions import FunctionVersion


class Artifacts:
    def __init__(self, client: ControlPlaneClient, cache_dir: Path) -> None:
        self.client = client
        self.root = cache_dir / "lambda"
        self._locks: dict[str, asyncio.Lock] = {}

    async def task_root(self, function: FunctionVersion) -> Path:
        """The extracted code of ``function`` (LAMBDA_TASK_ROOT)."""
        destination = self.root / "code" / _safe_name(function.code_sha256)
        if destination.is_dir():
            return destination
        async with self._lock(str(destination)):
            if not destination.is_dir():
                data = await self._download(function.code_location, f"code of {function.name}")
                _check_sha256(data, function.code_sha256, f"code of {function.name}")
                await asyncio.to_thread(_extract_all, [data], destination)
        return destination

    async def opt_dir(self, function: FunctionVersion) -> Path:
        """The function's layers, extracted in order into one folder (Lambda's /opt)."""
        if not function.layers:
            empty = self.root / "opt" / "empty"
            empty.mkdir(parents=True, exist_ok=True)
            return empty
        layers = [await self._layer_version(arn) for arn in function.layers]
        key = hashlib.sha256("|".join(sha for _, sha in layers).encode()).hexdigest()[:32]
        destination = self.root / "opt" / key
        if destination.is_dir():
            return destination
        async with self._lock(str(destination)):
            if not destination.is_dir():
                zips = []
                for location, sha in layers:
                    data = await self._download(location, f"layer of {function.name}")
                    _check_sha256(data, sha, f"layer of {function.name}")
                    zips.append(data)
                await asyncio.to_thread(_extract_all, zips, destination)
        return destination

    async def _layer_version(self, layer_version_arn: str) -> tuple[str, str]:
        parts = layer_version_arn.split(":")
        if len(parts) != 8 or parts[5] != "layer":
            raise InvokeError(400, "InvalidParameterValueException", f"bad layer ARN {layer_version_arn}")
        try:
            document = await self.client.lambda_api(
                "GET", f"/2018-10-31/layers/{parts[6]}/versions/{parts[7]}"
            )
        except ControlPlaneError as error:
            raise InvokeError(
                502, "ServiceException", f"layer {layer_version_arn} unavailable: {error}"
            ) from error
        content = document.get("Content") or {}
        return content.get("Location", ""), content.get("CodeSha256", "")

    async def _download(self, location: str, what: str) -> bytes:
        if not location.startswith("http"):
            raise InvokeError(502, "ServiceException", f"{what} has no download location ({location!r})")
        try:
            return await self.client.download(location)
        except (ControlPlaneError, OSError) as error:
            raise InvokeError(502, "ServiceException", f"could not download the {what}: {error}") from error

    def _lock(self, key: str) -> asyncio.Lock:
        return self._locks.setdefault(key, asyncio.Lock())


def _safe_name(code_sha256: str) -> str:
    return base64.b64decode(code_sha256).hex() if code_sha256 else "unknown"


def _check_sha256(data: bytes, expected_b64: str, what: str) -> None:
    actual = base64.b64encode(hashlib.sha256(data).digest()).decode()
    if expected_b64 and actual != expected_b64:
        raise InvokeError(502, "ServiceException", f"{what}: downloaded zip does not match CodeSha256")


def _extract_all(zips: list[bytes], destination: Path) -> None:
    """Extract ``zips`` in order into ``destination``, atomically (a staging folder renamed)."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=destination.parent))
    try:
        for data in zips:
            _extract(data, staging)
        staging.rename(destination)
    except OSError:
        if not destination.is_dir():  # lost a race with another process: theirs is as good
            raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _extract(data: bytes, destination: Path) -> None:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as error:
        raise InvokeError(502, "InvalidZipFileException", f"not a zip file: {error}") from error
    root = destination.resolve()
    with archive:
        for member in archive.infolist():
            target = (destination / member.filename).resolve()
            if not target.is_relative_to(root):
                raise InvokeError(
                    502, "InvalidZipFileException", f"zip entry escapes its folder: {member.filename}"
                )
            mode = member.external_attr >> 16
            if member.is_dir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            if stat.S_ISLNK(mode):
                target.unlink(missing_ok=True)
                target.symlink_to(archive.read(member).decode())
                continue
            with archive.open(member) as source, open(target, "wb") as sink:
                shutil.copyfileobj(source, sink)
            # Keep executable bits (bootstrap files, native tools); a zip made on Windows has none.
            if mode & 0o777:
                target.chmod((mode & 0o777) | 0o400)

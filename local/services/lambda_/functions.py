"""Which function version an Invoke runs, read from the control plane and cached.

The hot path must not ask moto on every invoke, so configurations are cached. The edge drops a
function's entries whenever a Lambda write API call for it passes through (UpdateFunctionCode,
PublishVersion, UpdateAlias, PutFunctionConcurrency, ...); a short time-to-live with refresh in the
background covers writes that bypass the edge.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import time
from dataclasses import dataclass, field
from typing import Any

from local.control_client import ControlPlaneClient, ControlPlaneError
from local.invoke import InvokeError

REFRESH_AFTER_S = 2.0
log = logging.getLogger("local.lambda")


@dataclass(frozen=True)
class FunctionVersion:
    """One function version's configuration, as GetFunction reports it."""

    name: str
    arn: str  # unqualified
    version: str  # "$LATEST" or "1", "2", ...
    runtime: str
    handler: str
    memory_mb: int
    timeout_s: float
    environment: dict[str, str]
    layers: tuple[str, ...]  # layer version ARNs, in order
    code_sha256: str
    code_location: str
    architecture: str
    tracing_mode: str
    log_format: str  # Text | JSON
    log_group: str
    application_log_level: str | None
    system_log_level: str | None
    reserved_concurrency: int | None
    fingerprint: str = field(compare=False)
    role: str = ""  # the execution role's ARN

    @classmethod
    def from_get_function(cls, document: dict[str, Any]) -> FunctionVersion:
        config = document["Configuration"]
        logging_config = config.get("LoggingConfig") or {}
        name = config["FunctionName"]
        arn = ":".join(config["FunctionArn"].split(":")[:7])
        values: dict[str, Any] = {
            "role": config.get("Role") or "",
            "name": name,
            "arn": arn,
            "version": config.get("Version", "$LATEST"),
            "runtime": config.get("Runtime") or "",
            "handler": config.get("Handler") or "",
            "memory_mb": int(config.get("MemorySize") or 128),
            "timeout_s": float(config.get("Timeout") or 3),
            "environment": dict((config.get("Environment") or {}).get("Variables") or {}),
            "layers": tuple(layer["Arn"] for layer in config.get("Layers") or []),
            "code_sha256": config.get("CodeSha256", ""),
            "code_location": (document.get("Code") or {}).get("Location", ""),
            "architecture": (config.get("Architectures") or ["x86_64"])[0],
            "tracing_mode": (config.get("TracingConfig") or {}).get("Mode", "PassThrough"),
            "log_format": logging_config.get("LogFormat", "Text"),
            "log_group": logging_config.get("LogGroup") or f"/aws/lambda/{name}",
            "application_log_level": logging_config.get("ApplicationLogLevel"),
            "system_log_level": logging_config.get("SystemLogLevel"),
            "reserved_concurrency": (document.get("Concurrency") or {}).get("ReservedConcurrentExecutions"),
        }
        # What makes environments of this version interchangeable: code and configuration, not
        # the concurrency setting (changing it does not recycle environments on Lambda either).
        identity = {k: v for k, v in values.items() if k not in {"reserved_concurrency", "code_location"}}
        fingerprint = hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()[:16]
        return cls(**values, fingerprint=fingerprint)

    def qualified_arn(self, qualifier: str | None) -> str:
        return f"{self.arn}:{qualifier}" if qualifier else self.arn


def split_function_name(function_name: str, qualifier: str | None) -> tuple[str, str | None]:
    """Invoke's FunctionName (name, name:qualifier, partial or full ARN) and Qualifier -> both parts.

    Raises InvokeError as Lambda does for a malformed name or two different qualifiers.
    """
    parts = function_name.split(":")
    if function_name.startswith("arn:"):
        if len(parts) not in (7, 8) or parts[2] != "lambda" or parts[5] != "function":
            raise _invalid(function_name)
        name, derived = parts[6], (parts[7] if len(parts) == 8 else None)
    elif len(parts) >= 3 and parts[1] == "function":
        if len(parts) > 4:
            raise _invalid(function_name)
        name, derived = parts[2], (parts[3] if len(parts) == 4 else None)
    elif len(parts) <= 2:
        name, derived = parts[0], (parts[1] if len(parts) == 2 else None)
    else:
        raise _invalid(function_name)
    if not name:
        raise _invalid(function_name)
    if derived and qualifier and derived != qualifier:
        raise InvokeError(
            400,
            "InvalidParameterValueException",
            "The derived qualifier from the function name does not match the specified qualifier.",
        )
    return name, qualifier or derived


def _invalid(function_name: str) -> InvokeError:
    return InvokeError(
        400,
        "ValidationException",
        f"1 validation error detected: Value '{function_name}' at 'functionName' failed to satisfy "
        "constraint",
    )


class FunctionDirectory:
    """Resolves (function, qualifier) to a FunctionVersion, caching control-plane answers."""

    def __init__(self, client: ControlPlaneClient) -> None:
        self.client = client
        self._cache: dict[tuple[str, str], tuple[FunctionVersion, float]] = {}
        self._refreshing: set[tuple[str, str]] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    async def resolve(self, name: str, qualifier: str | None) -> FunctionVersion:
        key = (name, qualifier or "$LATEST")
        cached = self._cache.get(key)
        if cached is not None:
            version, fetched = cached
            if time.monotonic() - fetched > REFRESH_AFTER_S and key not in self._refreshing:
                self._refreshing.add(key)
                task = asyncio.create_task(self._refresh(key))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
            return version
        return await self._fetch(key)

    async def _fetch(self, key: tuple[str, str]) -> FunctionVersion:
        name, qualifier = key
        try:
            document = await self.client.get_function(name, None if qualifier == "$LATEST" else qualifier)
            if qualifier != "$LATEST":
                # Reserved concurrency is the function's, shared by all its versions and aliases
                # (https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html); a
                # GetFunction of a version answers "only details that are specific to that version"
                # (moto's leaves it out), so it is read from the function itself.
                function = await self.client.get_function(name, None)
                document = {**document, "Concurrency": function.get("Concurrency")}
        except ControlPlaneError as error:
            if error.status == 404:
                raise InvokeError(404, "ResourceNotFoundException", error.message) from error
            raise InvokeError(500, "ServiceException", f"control plane: {error}") from error
        version = FunctionVersion.from_get_function(document)
        self._cache[key] = (version, time.monotonic())
        return version

    async def _refresh(self, key: tuple[str, str]) -> None:
        try:
            await self._fetch(key)
        except InvokeError:
            self._cache.pop(key, None)  # deleted meanwhile: the next invoke reports it
        except Exception as error:  # the control plane is unreachable: keep serving what we know
            log.warning("could not refresh %s:%s: %r", key[0], key[1], error)
        finally:
            self._refreshing.discard(key)

    def invalidate(self, name: str) -> None:
        for key in [k for k in self._cache if k[0] == name]:
            del self._cache[key]

    def known_names(self) -> set[str]:
        return {name for name, _ in self._cache}

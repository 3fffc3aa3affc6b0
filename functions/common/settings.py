"""Environment settings read once per execution environment.

Terraform sets every variable (terraform/modules/functions); a missing required one is a deployment
bug, reported by name at the first request that needs it instead of as a KeyError deep in a handler.
"""

from __future__ import annotations

import os


class MissingSettingError(RuntimeError):
    def __init__(self, name: str) -> None:
        super().__init__(f"environment variable {name} is not set")
        self.name = name


def required(name: str) -> str:
    value = os.environ.get(name, "")
    if not value:
        raise MissingSettingError(name)
    return value


def integer(name: str, default: int) -> int:
    raw = os.environ.get(name, "")
    return int(raw) if raw else default


def optional(name: str) -> str | None:
    """The variable's value, None when it is unset or empty (a feature left off)."""
    return os.environ.get(name) or None

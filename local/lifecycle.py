"""The one lifecycle every local-cloud service has, so ``make up`` drives them all alike.

A service starts once, re-reads what Terraform deployed on ``reload`` (after an apply changed the
control plane), and ``stop`` releases its ports and tasks. ``make up`` starts them in dependency order
and stops them in reverse.
"""

from __future__ import annotations

from typing import Protocol


class Service(Protocol):
    async def start(self) -> None:
        """Bind and begin serving; raises if the service cannot start."""

    async def reload(self) -> None:
        """Re-read the deployed configuration; keeps serving the old one if that fails."""

    async def stop(self) -> None:
        """Stop serving and release everything; safe to call once after start."""

"""The control plane between runs, from ``make up``'s side.

The control plane pickles moto's state to ``<state>/controlplane.snapshot`` when asked (after each
apply, and at stop) and loads it when it starts. ``make up`` tags it with the identity of the
Terraform state it belongs to (``controlplane.snapshot.json``: lineage and serial), and keeps it only
while that still matches the state on disk: Terraform then finds everything it made, and data such as
postcards survives. A mismatch (or ``--fresh``) forgets both, so both start from empty.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import aiohttp

from local.cloud.stack import Stack
from local.config import Config


class SavedControlPlane:
    def __init__(self, config: Config, stack: Stack) -> None:
        self.config = config
        self.stack = stack
        self.path = config.state_dir / "controlplane.snapshot"  # the control plane writes and reads it
        self.identity_file = config.state_dir / "controlplane.snapshot.json"

    def keep_if_matching(self) -> bool:
        """Keep the saved control plane only if it belongs to the Terraform state on disk; say if kept."""
        if self.config.fresh or not self._matches_state():
            self.path.unlink(missing_ok=True)
            self.identity_file.unlink(missing_ok=True)
            self.stack.forget()
            return False
        return True

    def _matches_state(self) -> bool:
        """The saved control plane belongs to the Terraform state on disk (or persistence is off)."""
        if not self.config.persist:
            return False
        try:
            saved = json.loads(self.identity_file.read_text())
        except (OSError, ValueError):
            return False
        return self.path.exists() and saved == self.stack.state_identity()

    async def save(self, session: aiohttp.ClientSession, say: Callable[[str], None]) -> None:
        """Have the running control plane save its state, tagged with the Terraform state's identity;
        if it cannot, forget the tag (the next start is a fresh apply) and say so."""
        if not self.config.persist:
            return
        identity = self.stack.state_identity()
        try:
            async with session.post(
                f"{self.config.controlplane_url}/_local/snapshot", json=identity
            ) as response:
                answer = await response.json()
                refused = None if response.status == 200 else str(answer.get("error"))
        except aiohttp.ClientError as error:
            refused = str(error)
        if refused is not None:
            say(f"    warning: control plane state not saved ({refused}); next start is a fresh apply")
            self.identity_file.unlink(missing_ok=True)
            return
        self.identity_file.write_text(json.dumps(identity))

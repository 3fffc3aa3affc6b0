"""The local X-Ray as one service of ``make up``: daemon, store, sampling rules and API together.

``start`` reads the saved traces and rules from the state folder and binds the daemon; the state is
written every few seconds while it changes and once more on ``stop``, so traces outlive a restart of
``make up`` like the rest of the local state (``persist=False``: start empty, save nothing;
``fresh``: forget the saved state first, as ``make up --fresh`` forgets the control plane's).
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from local.background import BackgroundTask
from local.services.xray import otlp
from local.services.xray.api import XRayApi
from local.services.xray.daemon import Daemon
from local.services.xray.documents import Document, InvalidDocument
from local.services.xray.sampling import Sampler, SamplingRules
from local.services.xray.store import TraceStore, read_json, write_json_atomic

STATE_FILE = "xray.json"
SAVE_INTERVAL_S = 5.0


class XRay:
    def __init__(
        self,
        state_dir: Path,
        region: str,
        account_id: str,
        *,
        host: str = "127.0.0.1",
        port: int = 2000,
        persist: bool = True,
        fresh: bool = False,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.path = state_dir / STATE_FILE
        self.persist = persist
        self.fresh = fresh
        self.store = TraceStore(clock=clock)
        self.rules = SamplingRules(region, account_id, clock)
        self.sampler = Sampler(self.rules, clock)
        self.api = XRayApi(self.store, self.rules, self.sampler, account_id, clock)
        self.daemon = Daemon(self.store, host, port)
        self._rules_saved: Any = None
        self._saver = BackgroundTask(self._save_periodically, "xray-save")

    def record(self, documents: list[Document]) -> None:
        """Segments the local cloud's own services record (the gateway's, Lambda's)."""
        for document in documents:
            try:
                self.store.put(document)
            except InvalidDocument as error:  # our own bug: say so, never fail the request
                print(f"x-ray: segment not recorded: {error}", file=sys.stderr, flush=True)

    def ingest_otlp(
        self, body: bytes, content_type: str, content_encoding: str | None = None
    ) -> otlp.OtlpResponse:
        return otlp.ingest(body, content_type, self.store.put, content_encoding)

    async def start(self) -> None:
        if self.fresh:
            self.path.unlink(missing_ok=True)
        elif self.persist:
            self._load()
        await self.daemon.start()
        if self.persist:
            self._saver.start()

    async def reload(self) -> None:
        """Sampling rules arrive through the API; nothing to re-read."""

    async def stop(self) -> None:
        await self.daemon.stop()
        await self._saver.stop()
        if self.persist:
            self.save()

    def _load(self) -> None:
        saved = read_json(self.path)
        if not isinstance(saved, dict):
            return
        try:
            self.store.restore(saved.get("traces") or {"version": 1})
            self.rules.restore(saved.get("sampling") or {})
        except (ValueError, KeyError, TypeError) as error:
            print(f"x-ray: ignoring {self.path}: {error!r}", flush=True)
            return
        self._rules_saved = self.rules.snapshot()

    def save(self) -> None:
        rules = self.rules.snapshot()
        write_json_atomic(self.path, {"traces": self.store.snapshot(), "sampling": rules})
        self._rules_saved = rules

    def dirty(self) -> bool:
        return self.store.changes > 0 or self.rules.snapshot() != self._rules_saved

    async def _save_periodically(self) -> None:
        while True:
            await asyncio.sleep(SAVE_INTERVAL_S)
            if self.dirty():
                # A few MB of JSON at most: written off the loop so invocations never wait on it.
                snapshot = {"traces": self.store.snapshot(), "sampling": self.rules.snapshot()}
                await asyncio.to_thread(write_json_atomic, self.path, snapshot)
                self._rules_saved = snapshot["sampling"]

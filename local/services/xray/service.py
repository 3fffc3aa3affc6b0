"""The local X-Ray as one service of ``make up``: daemon, store, sampling rules and API together.

``start`` reads the saved traces and rules from the state folder and binds the daemon; what changed
is written every few seconds and once more on ``stop`` (``persistence``: a base snapshot and a
journal of new documents), so traces outlive a restart of ``make up`` like the rest of the local
state (``persist=False``: start empty, save nothing; ``fresh``: forget the saved state first, as
``make up --fresh`` forgets the control plane's).
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Callable
from pathlib import Path

from local.background import BackgroundTask
from local.services.xray import otlp
from local.services.xray.api import XRayApi
from local.services.xray.daemon import Daemon
from local.services.xray.documents import Document, InvalidDocument
from local.services.xray.persistence import TraceFiles
from local.services.xray.sampling import Sampler, SamplingRules
from local.services.xray.store import TraceStore

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
        self.files = TraceFiles(state_dir)
        self.persist = persist
        self.fresh = fresh
        self.store = TraceStore(clock=clock, journal=persist)
        self.rules = SamplingRules(region, account_id, clock)
        self.sampler = Sampler(self.rules, clock)
        self.api = XRayApi(self.store, self.rules, self.sampler, account_id, clock)
        self.daemon = Daemon(self.store, host, port)
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
            self.files.forget()
        elif self.persist:
            self.files.load(self.store, self.rules)
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

    def save(self) -> None:
        self.files.save(self.store, self.rules)

    def dirty(self) -> bool:
        return self.files.dirty(self.store, self.rules)

    async def _save_periodically(self) -> None:
        while True:
            await asyncio.sleep(SAVE_INTERVAL_S)
            if self.dirty():
                # Encoded and written off the loop so invocations never wait on it.
                await asyncio.to_thread(self.files.plan(self.store, self.rules).write)

"""The X-Ray state on disk: a base snapshot and a journal of the documents put since.

Rewriting every stored trace every few seconds cost a full store (5,000 traces, ~9 MB of JSON) about
a quarter of a second of CPU each time, on the thread that serves invocations' segments too. So:

- ``xray.json`` is the base: the traces and the sampling rules as they were at one moment, written
  atomically (``write_json_atomic``), as before;
- ``xray.journal`` holds one line per document put since, ``[updated, document]``, appended at each
  periodic save: the cost of a save follows what arrived, not what is kept;
- the base is rewritten (and the journal emptied) when the rules changed or when the journal has
  grown past the documents the store holds, so a rewrite happens at most once per store's worth of
  new documents and the journal stays bounded.

Read back at start: the base, then the journal replayed in order (its times restore each trace's
eviction order), then eviction. A line cut short by a crash mid-append is skipped; a journal replayed
over a base that already holds it (a crash between the base's rewrite and the journal's truncation)
merges to the same documents.
"""

from __future__ import annotations

import json
import sys
import threading
from pathlib import Path
from typing import Any

from local.services.xray.sampling import SamplingRules
from local.services.xray.store import TraceStore, read_json, write_json_atomic

BASE_FILE = "xray.json"
JOURNAL_FILE = "xray.journal"
MIN_JOURNAL_LINES = 10_000  # below this a rewrite never pays


class TraceFiles:
    def __init__(self, state_dir: Path) -> None:
        self.base = state_dir / BASE_FILE
        self.journal = state_dir / JOURNAL_FILE
        self.journal_lines = 0
        self._rules_saved: Any = None
        self.lock = threading.Lock()  # a save at stop may meet a periodic one still on its thread

    def forget(self) -> None:
        self.base.unlink(missing_ok=True)
        self.journal.unlink(missing_ok=True)

    def load(self, store: TraceStore, rules: SamplingRules) -> None:
        saved = read_json(self.base)
        try:
            if isinstance(saved, dict):
                store.restore(saved.get("traces") or {"version": 1})
                rules.restore(saved.get("sampling") or {})
            self._replay(store)
        except (ValueError, KeyError, TypeError) as error:
            print(f"x-ray: ignoring {self.base}: {error!r}", flush=True)
            return
        store.finish_restore()
        self._rules_saved = rules.snapshot()

    def _replay(self, store: TraceStore) -> None:
        try:
            lines = self.journal.read_text().splitlines()
        except FileNotFoundError:
            return
        except OSError as error:
            print(f"x-ray: ignoring {self.journal}: {error!r}", file=sys.stderr, flush=True)
            return
        for line in lines:
            try:
                updated, document = json.loads(line)
                store.replay(document, float(updated))
            except (ValueError, TypeError):
                continue  # a line cut short by a crash
        self.journal_lines = len(lines)

    def dirty(self, store: TraceStore, rules: SamplingRules) -> bool:
        return store.changes > 0 or rules.snapshot() != self._rules_saved

    def plan(self, store: TraceStore, rules: SamplingRules) -> Save:
        """What to write now (taken on the event loop; ``Save.write`` may run on a thread)."""
        sampling = rules.snapshot()
        outgrown = self.journal_lines >= MIN_JOURNAL_LINES and self.journal_lines >= store.documents_count()
        if sampling != self._rules_saved or outgrown:
            self._rules_saved = sampling
            self.journal_lines = 0
            return Save(self, base={"traces": store.snapshot(), "sampling": sampling})
        appended = store.take_journal()
        self.journal_lines += len(appended)
        return Save(self, appended=appended)

    def save(self, store: TraceStore, rules: SamplingRules) -> None:
        """What changed, now (at stop)."""
        self.plan(store, rules).write()


class Save:
    def __init__(
        self,
        files: TraceFiles,
        *,
        base: dict[str, Any] | None = None,
        appended: list[tuple[float, Any]] | None = None,
    ) -> None:
        self.files = files
        self.base = base
        self.appended = appended or []

    def write(self) -> None:
        with self.files.lock:
            self._write()

    def _write(self) -> None:
        if self.base is not None:
            write_json_atomic(self.files.base, self.base)
            self.files.journal.unlink(missing_ok=True)  # after the base that holds it
            return
        if self.appended:
            text = "".join(json.dumps([t, d], separators=(",", ":")) + "\n" for t, d in self.appended)
            self.files.journal.parent.mkdir(parents=True, exist_ok=True)
            with self.files.journal.open("a") as journal:
                journal.write(text)

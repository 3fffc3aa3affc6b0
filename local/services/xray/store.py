"""Stored traces: every segment document the daemon, PutTraceSegments and OTLP receive, per trace id.

X-Ray keeps traces 30 days (https://docs.aws.amazon.com/xray/latest/devguide/xray-concepts.html);
locally the store is bounded instead, by trace count and age, so a long ``make up`` does not grow
without end: the trace updated longest ago goes first. Documents merge by segment id: a later
document replaces an earlier one (an in-progress segment is completed by the full one the SDK sends
at its end), except that an in-progress copy arriving after the complete one is ignored (UDP does not
keep order). ``local.services.xray.persistence`` saves it in the local state folder: a base snapshot
and a journal of the documents put since (``journal=True`` keeps them for it), read back at start.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from local.services.xray import documents
from local.services.xray.documents import Assembled, Document, InvalidDocument

DEFAULT_MAX_TRACES = 5_000
DEFAULT_MAX_AGE_S = 3 * 24 * 3600.0
# X-Ray's own cap is on trace size (500 KB of documents); a document count is simpler and as bounding.
DEFAULT_MAX_DOCUMENTS_PER_TRACE = 1_000
SNAPSHOT_VERSION = 1


@dataclass(eq=False)
class StoredTrace:
    id: str
    updated: float
    documents: dict[str, Document] = field(default_factory=dict)
    # Bumped on every change; the assembled view is cached per revision.
    revision: int = 0
    _assembled: tuple[int, Assembled] | None = None

    def assembled(self) -> Assembled:
        if self._assembled is None or self._assembled[0] != self.revision:
            self._assembled = (self.revision, documents.assemble(self.documents.values()))
        return self._assembled[1]

    @property
    def start_time(self) -> float:
        return min(float(d["start_time"]) for d in self.documents.values())


class TraceStore:
    def __init__(
        self,
        max_traces: int = DEFAULT_MAX_TRACES,
        max_age_s: float = DEFAULT_MAX_AGE_S,
        max_documents_per_trace: int = DEFAULT_MAX_DOCUMENTS_PER_TRACE,
        clock: Callable[[], float] = time.time,
        *,
        journal: bool = False,
    ) -> None:
        self.max_traces = max_traces
        self.max_age_s = max_age_s
        self.max_documents_per_trace = max_documents_per_trace
        self.clock = clock
        # Least recently updated first: eviction pops from the front.
        self._traces: OrderedDict[str, StoredTrace] = OrderedDict()
        self.evicted = 0
        # Changes since the last snapshot, for the periodic save; with ``journal``, the documents
        # themselves (with the time they were put), which the save appends to its journal.
        self.changes = 0
        self._journal: list[tuple[float, Document]] | None = [] if journal else None

    def __len__(self) -> int:
        return len(self._traces)

    def put(self, document: Any) -> None:
        """Store one segment document (raises InvalidDocument, leaving the store unchanged)."""
        document = documents.validate(document)
        now = self.clock()
        if self._insert(document, now) and self._journal is not None:
            self._journal.append((now, document))
        self._evict(now)

    def replay(self, document: Any, updated: float) -> None:
        """A journalled ``put`` made at ``updated``, read back at start (invalid ones are skipped)."""
        try:
            self._insert(documents.validate(document), updated)
        except InvalidDocument:
            return

    def take_journal(self) -> list[tuple[float, Document]]:
        """The documents put since the last call (or snapshot), oldest first; the journal empties."""
        taken = self._journal or []
        if self._journal is not None:
            self._journal = []
        self.changes = 0
        return taken

    def _insert(self, document: Document, now: float) -> bool:
        """Merge one valid document; False when it changed nothing (a late in-progress copy)."""
        trace = self._traces.get(document["trace_id"])
        if trace is None:
            trace = StoredTrace(document["trace_id"], now)
            self._traces[trace.id] = trace
        existing = trace.documents.get(document["id"])
        if existing is None and len(trace.documents) >= self.max_documents_per_trace:
            raise InvalidDocument(f"trace {trace.id} already holds {self.max_documents_per_trace} documents")
        if existing is not None and documents.is_complete(existing) and not documents.is_complete(document):
            return False  # a late in-progress copy of a segment that already ended
        trace.documents[document["id"]] = document
        trace.updated = now
        trace.revision += 1
        self._traces.move_to_end(trace.id)
        self.changes += 1
        return True

    def get(self, trace_id: str) -> StoredTrace | None:
        self._evict(self.clock())
        return self._traces.get(trace_id)

    def traces(self) -> list[StoredTrace]:
        self._evict(self.clock())
        return list(self._traces.values())

    def _evict(self, now: float) -> None:
        while len(self._traces) > self.max_traces:
            self._traces.popitem(last=False)
            self.evicted += 1
        while self._traces:
            oldest = next(iter(self._traces.values()))
            if oldest.updated >= now - self.max_age_s:
                break
            self._traces.popitem(last=False)
            self.evicted += 1

    def documents_count(self) -> int:
        return sum(len(trace.documents) for trace in self._traces.values())

    def snapshot(self) -> dict[str, Any]:
        self.take_journal()  # everything is in the snapshot
        return {
            "version": SNAPSHOT_VERSION,
            "traces": [
                {"id": t.id, "updated": t.updated, "documents": list(t.documents.values())}
                for t in self._traces.values()
            ],
        }

    def restore(self, snapshot: dict[str, Any]) -> None:
        """Load a snapshot (documents are validated again; bad ones are skipped); ``replay`` the
        documents put after it, then ``finish_restore``: evicting before the replay would drop a
        trace the journal kept alive and then rebuild it from the journal's documents alone."""
        if snapshot.get("version") != SNAPSHOT_VERSION:
            raise ValueError(f"unknown trace snapshot version {snapshot.get('version')!r}")
        self._traces.clear()
        for item in sorted(snapshot.get("traces", ()), key=lambda t: float(t["updated"])):
            trace = StoredTrace(str(item["id"]), float(item["updated"]))
            for document in item.get("documents", ()):
                try:
                    documents.validate(document)
                except InvalidDocument:
                    continue
                if document["trace_id"] == trace.id:
                    trace.documents[document["id"]] = document
            if trace.documents:
                trace.revision = 1
                self._traces[trace.id] = trace

    def finish_restore(self) -> None:
        """After ``restore`` and ``replay``: evict what is too old, and nothing is unsaved."""
        self._evict(self.clock())
        self.take_journal()


def write_json_atomic(path: Path, document: Any) -> None:
    """Write ``document`` so that ``path`` holds either the old file or the whole new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    partial.write_text(json.dumps(document, separators=(",", ":")))
    partial.replace(path)


def read_json(path: Path) -> Any | None:
    """The JSON in ``path``; None when missing or unreadable (a broken file only costs a fresh start)."""
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as error:
        print(f"x-ray: ignoring {path}: {error!r}", file=sys.stderr, flush=True)
        return None

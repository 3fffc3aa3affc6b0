"""The X-Ray state on disk: saves append what arrived, a restart replays it, the base is rewritten
only once the journal outgrows the store."""

from __future__ import annotations

from local.services.xray import persistence
from local.services.xray.persistence import TraceFiles
from local.services.xray.sampling import SamplingRules
from local.services.xray.store import TraceStore
from tests.local.xray.support import EPOCH, segment, trace_id
from tests.local.xray.test_store import Clock


def stores(clock: Clock) -> tuple[TraceStore, SamplingRules]:
    return TraceStore(clock=clock, journal=True), SamplingRules("us-east-1", "123456789012", clock)


def test_a_save_appends_only_what_arrived_since_the_last_one(tmp_path):
    # Given a store saved once (its base), then given one more trace
    clock = Clock()
    store, rules = stores(clock)
    files = TraceFiles(tmp_path)
    store.put(segment(trace_id(1), 1, "first", EPOCH, EPOCH + 1))
    files.plan(store, rules).write()
    base = files.base.read_text()
    store.put(segment(trace_id(2), 2, "second", EPOCH, EPOCH + 1))

    # When the next save runs
    assert files.dirty(store, rules)
    files.plan(store, rules).write()

    # Then the base is as it was and the journal holds the one new document
    assert files.base.read_text() == base
    assert len(files.journal.read_text().splitlines()) == 1
    assert not files.dirty(store, rules)


def test_a_restart_replays_the_journal_in_order_and_skips_a_torn_line(tmp_path):
    # Given a base with one trace, a journal that updated it after a second trace, and a crash mid-line
    clock = Clock()
    store, rules = stores(clock)
    files = TraceFiles(tmp_path)
    first, second = trace_id(1), trace_id(2)
    store.put(segment(first, 1, "first", EPOCH, EPOCH + 1))
    files.plan(store, rules).write()
    clock.now += 1
    store.put(segment(second, 2, "second", EPOCH, EPOCH + 1))
    clock.now += 1
    store.put(segment(first, 3, "later", EPOCH, EPOCH + 2))
    files.plan(store, rules).write()
    with files.journal.open("a") as journal:
        journal.write('[1764600000.0,{"id":"0000')

    # When a new store loads the folder
    loaded, loaded_rules = stores(clock)
    TraceFiles(tmp_path).load(loaded, loaded_rules)

    # Then it holds both traces, the first with both documents and updated last, nothing unsaved
    assert [trace.id for trace in loaded.traces()] == [second, first]
    stored = loaded.get(first)
    assert stored is not None
    assert sorted(d["name"] for d in stored.documents.values()) == ["first", "later"]
    assert stored.updated == EPOCH + 2
    assert loaded.changes == 0


def test_the_base_is_rewritten_once_the_journal_outgrows_the_store(tmp_path, monkeypatch):
    # Given a store of one trace whose document is replaced again and again
    monkeypatch.setattr(persistence, "MIN_JOURNAL_LINES", 2)
    clock = Clock()
    store, rules = stores(clock)
    files = TraceFiles(tmp_path)
    trace = trace_id(1)
    store.put(segment(trace, 1, "v0", EPOCH, EPOCH + 1))
    files.plan(store, rules).write()

    # When saves append more documents than the store holds
    for version in range(1, 4):
        store.put(segment(trace, 1, f"v{version}", EPOCH, EPOCH + 1))
        files.plan(store, rules).write()

    # Then the base was rewritten with the latest document and the journal restarted
    assert files.journal_lines < 2
    loaded, loaded_rules = stores(clock)
    TraceFiles(tmp_path).load(loaded, loaded_rules)
    stored = loaded.get(trace)
    assert stored is not None
    assert [d["name"] for d in stored.documents.values()] == ["v3"]


def test_without_a_journal_the_store_keeps_no_copy_of_what_it_was_given():
    store = TraceStore(clock=Clock())
    store.put(segment(trace_id(1), 1, "first", EPOCH, EPOCH + 1))

    assert store.take_journal() == []


def test_a_trace_the_journal_kept_alive_comes_back_whole(tmp_path):
    # Given a base holding a trace, and a journal document for it put almost the store's maximum age
    # later (the base alone is now too old to keep)
    clock = Clock()
    store, rules = stores(clock)
    files = TraceFiles(tmp_path)
    trace = trace_id(1)
    store.put(segment(trace, 1, "first", EPOCH, EPOCH + 1))
    files.plan(store, rules).write()
    clock.now += store.max_age_s - 10
    store.put(segment(trace, 2, "later", EPOCH, EPOCH + 2))
    files.plan(store, rules).write()
    clock.now += 20

    # When a new store loads the folder
    loaded, loaded_rules = stores(clock)
    TraceFiles(tmp_path).load(loaded, loaded_rules)

    # Then the trace is there with both documents: eviction ran after the replay, not between
    stored = loaded.get(trace)
    assert stored is not None
    assert sorted(d["name"] for d in stored.documents.values()) == ["first", "later"]

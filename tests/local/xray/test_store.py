"""The trace store: merging documents, bounds, and saving across restarts."""

from __future__ import annotations

import json

import pytest

from local.services.xray.documents import InvalidDocument
from local.services.xray.store import TraceStore, read_json, write_json_atomic
from tests.local.xray.support import EPOCH, api_request_trace, segment, segment_id, trace_id


class Clock:
    def __init__(self, now: float = EPOCH) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_a_completed_segment_replaces_its_in_progress_version():
    # Given a segment sent in progress
    store = TraceStore(clock=Clock())
    trace = trace_id()
    store.put(segment(trace, 1, "api", EPOCH, None))

    # When its complete version arrives
    store.put(segment(trace, 1, "api", EPOCH, EPOCH + 1, http={"response": {"status": 200}}))

    # Then the trace holds the complete one only
    stored = store.get(trace)
    assert stored is not None
    assert list(stored.documents.values()) == [
        segment(trace, 1, "api", EPOCH, EPOCH + 1, http={"response": {"status": 200}})
    ]
    assert not stored.assembled().is_partial


def test_an_in_progress_copy_arriving_after_the_complete_one_is_ignored():
    store = TraceStore(clock=Clock())
    trace = trace_id()
    store.put(segment(trace, 1, "api", EPOCH, EPOCH + 1))

    store.put(segment(trace, 1, "api", EPOCH, None))

    stored = store.get(trace)
    assert stored is not None
    assert stored.documents[segment_id(1)]["end_time"] == EPOCH + 1


def test_a_refused_document_leaves_the_store_unchanged():
    store = TraceStore(clock=Clock())

    with pytest.raises(InvalidDocument):
        store.put({"id": segment_id(1), "name": "api"})

    assert len(store) == 0
    assert store.changes == 0


def test_the_trace_updated_longest_ago_is_evicted_first():
    # Given a store for two traces, the first of them updated again after the second
    clock = Clock()
    store = TraceStore(max_traces=2, clock=clock)
    first, second, third = trace_id(1), trace_id(2), trace_id(3)
    store.put(segment(first, 1, "a", EPOCH, EPOCH + 1))
    clock.now += 1
    store.put(segment(second, 2, "b", EPOCH, EPOCH + 1))
    clock.now += 1
    store.put(segment(first, 3, "a", EPOCH, EPOCH + 1, type="subsegment", parent_id=segment_id(1)))

    # When a third trace arrives
    clock.now += 1
    store.put(segment(third, 4, "c", EPOCH, EPOCH + 1))

    # Then the second (least recently updated) went
    assert {t.id for t in store.traces()} == {first, third}
    assert store.evicted == 1


def test_traces_older_than_the_maximum_age_are_dropped():
    clock = Clock()
    store = TraceStore(max_age_s=60, clock=clock)
    store.put(segment(trace_id(1), 1, "a", EPOCH, EPOCH + 1))
    clock.now += 30
    store.put(segment(trace_id(2), 2, "b", EPOCH, EPOCH + 1))

    clock.now += 31

    assert [t.id for t in store.traces()] == [trace_id(2)]


def test_a_trace_holds_a_bounded_number_of_documents():
    store = TraceStore(max_documents_per_trace=2, clock=Clock())
    trace = trace_id()
    store.put(segment(trace, 1, "a", EPOCH, EPOCH + 1))
    store.put(segment(trace, 2, "b", EPOCH, EPOCH + 1))

    with pytest.raises(InvalidDocument, match="already holds 2"):
        store.put(segment(trace, 3, "c", EPOCH, EPOCH + 1))
    store.put(segment(trace, 2, "b", EPOCH, EPOCH + 2))  # a replacement is no new document

    stored = store.get(trace)
    assert stored is not None
    assert sorted(stored.documents) == [segment_id(1), segment_id(2)]


def test_traces_survive_a_save_and_a_load(tmp_path):
    # Given a store with a whole request trace, saved
    clock = Clock()
    store = TraceStore(clock=clock)
    trace = trace_id()
    for document in api_request_trace(trace):
        store.put(document)
    path = tmp_path / "state" / "xray.json"
    write_json_atomic(path, store.snapshot())

    # When a new store loads the file
    loaded = TraceStore(clock=clock)
    loaded.restore(read_json(path))

    # Then it holds the same trace, assembled alike, and has nothing unsaved
    assert store.changes == 0
    assert loaded.changes == 0
    original, copy = store.get(trace), loaded.get(trace)
    assert original is not None
    assert copy is not None
    assert copy.assembled().segments == original.assembled().segments
    assert list(tmp_path.joinpath("state").iterdir()) == [path]  # no temporary file left behind


def test_a_snapshot_skips_documents_that_are_no_longer_valid():
    store = TraceStore(clock=Clock())
    trace = trace_id()
    snapshot = {
        "version": 1,
        "traces": [
            {
                "id": trace,
                "updated": EPOCH,
                "documents": [segment(trace, 1, "a", EPOCH, EPOCH + 1), {"id": "?"}],
            }
        ],
    }

    store.restore(snapshot)

    stored = store.get(trace)
    assert stored is not None
    assert list(stored.documents) == [segment_id(1)]


def test_an_unreadable_state_file_reads_as_nothing(tmp_path, capsys):
    path = tmp_path / "xray.json"
    path.write_text("{not json")

    assert read_json(path) is None
    assert read_json(tmp_path / "missing.json") is None
    assert "ignoring" in capsys.readouterr().err


def test_write_json_atomic_replaces_the_whole_file(tmp_path):
    path = tmp_path / "xray.json"
    write_json_atomic(path, {"a": 1})
    write_json_atomic(path, {"b": 2})

    assert json.loads(path.read_text()) == {"b": 2}

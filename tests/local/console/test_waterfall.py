"""A trace's documents become the console's timeline rows: each under its caller, in start order,
with its offset, duration, status and details."""

from __future__ import annotations

import json
from typing import Any

from local.console.waterfall import badge_status, build

T0 = 1_700_000_000.0


def trace(*documents: dict[str, Any]) -> dict[str, Any]:
    return {
        "Id": "1-65530000-000000000000000000000001",
        "Segments": [{"Id": d["id"], "Document": json.dumps(d)} for d in documents],
    }


def test_segments_sit_under_the_subsegment_that_called_them_in_start_order() -> None:
    # Given the gateway's segment calling Lambda, whose function calls DynamoDB (an inferred segment)
    stage = {
        "id": "a1",
        "name": "api/live",
        "origin": "AWS::ApiGateway::Stage",
        "start_time": T0,
        "end_time": T0 + 1.0,
        "http": {"response": {"status": 200}},
        "subsegments": [
            {"id": "a2", "name": "Lambda", "namespace": "aws", "start_time": T0 + 0.1, "end_time": T0 + 0.9}
        ],
    }
    function = {
        "id": "b1",
        "name": "fn",
        "origin": "AWS::Lambda::Function",
        "parent_id": "a2",
        "start_time": T0 + 0.2,
        "end_time": T0 + 0.8,
        "annotations": {"card": "x"},
        "subsegments": [
            {"id": "b3", "name": "Overhead", "start_time": T0 + 0.7, "end_time": T0 + 0.8},
            {
                "id": "b2",
                "name": "DynamoDB",
                "namespace": "aws",
                "start_time": T0 + 0.3,
                "end_time": T0 + 0.5,
                "aws": {"operation": "Query", "table_name": "cards"},
                "throttle": True,
                "error": True,
            },
        ],
    }
    table = {
        "id": "c1",
        "name": "cards",
        "origin": "AWS::DynamoDB::Table",
        "inferred": True,
        "parent_id": "b2",
        "start_time": T0 + 0.3,
        "end_time": T0 + 0.5,
    }

    # When the waterfall is built (documents in any order)
    drawn = build(trace(table, function, stage))

    # Then the rows nest by caller and order siblings by start
    assert [(r.name, r.depth) for r in drawn.rows] == [
        ("api/live", 0),
        ("Lambda", 1),
        ("fn", 2),
        ("DynamoDB", 3),
        ("cards", 4),
        ("Overhead", 3),
    ]
    rows = {r.name: r for r in drawn.rows}
    assert drawn.duration_s == 1.0
    assert abs(rows["fn"].offset_s - 0.2) < 1e-6
    assert abs(rows["DynamoDB"].duration_s - 0.2) < 1e-6
    assert rows["DynamoDB"].status == "throttle"
    assert rows["DynamoDB"].aws == {"operation": "Query", "table_name": "cards"}
    assert rows["fn"].annotations == {"card": "x"}
    assert rows["cards"].kind == "AWS::DynamoDB::Table (inferred)"
    assert rows["api/live"].http_status == 200
    # ... and a bar covers the row's share of the trace
    x, width = drawn.bar(rows["fn"])
    assert round(x) == 200
    assert round(width) == 600


def test_a_fault_keeps_its_exceptions_and_an_orphan_segment_is_a_root() -> None:
    # Given a function segment whose caller is not in the trace, failing with an exception
    failing = {
        "id": "d1",
        "name": "fn",
        "origin": "AWS::Lambda::Function",
        "parent_id": "gone",
        "start_time": T0,
        "end_time": T0 + 0.5,
        "fault": True,
        "cause": {"exceptions": [{"type": "ValueError", "message": "bad card"}]},
    }

    # When it is drawn
    (row,) = build(trace(failing)).rows

    # Then it is a root, a fault, and says why
    assert (row.depth, row.status, row.exceptions) == (0, "fault", ("bad card",))


def test_a_badge_says_the_worst_of_the_flags() -> None:
    # Given X-Ray's flags as a document or a trace summary sets them
    # When the console picks a badge, then a fault wins over a throttle, a throttle over an error
    assert badge_status(fault=True, throttle=True, error=True) == "fault"
    assert badge_status(fault=False, throttle=True, error=True) == "throttle"
    assert badge_status(fault=None, throttle=None, error=True) == "error"
    assert badge_status(fault=None, throttle=False, error=None) == "ok"

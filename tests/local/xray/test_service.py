"""The X-Ray service of ``make up``: traces and sampling rules kept across a restart."""

from __future__ import annotations

import asyncio
import json

from local.services.xray.persistence import BASE_FILE
from local.services.xray.service import XRay
from tests.local.xray.support import api_request_trace, trace_id
from tests.local.xray.test_sampling import TERRAFORM_RULE


def run_once(xray: XRay, requests: list[tuple[str, dict]]) -> list[int]:
    async def scenario() -> list[int]:
        await xray.start()
        try:
            return [xray.api.handle(path, json.dumps(body).encode()).status for path, body in requests]
        finally:
            await xray.stop()

    return asyncio.run(scenario())


def test_traces_and_rules_outlive_a_restart(tmp_path):
    # Given a run that received a trace and a sampling rule
    trace = trace_id()
    documents = [json.dumps(d) for d in api_request_trace(trace)]
    first = XRay(tmp_path, "us-east-1", "123456789012", port=0)
    statuses = run_once(
        first,
        [
            ("/TraceSegments", {"TraceSegmentDocuments": documents}),
            ("/CreateSamplingRule", {"SamplingRule": TERRAFORM_RULE}),
        ],
    )
    assert statuses == [200, 200]
    assert (tmp_path / BASE_FILE).exists()

    # When the next run starts on the same state folder
    second = XRay(tmp_path, "us-east-1", "123456789012", port=0)
    answers = []

    async def read() -> None:
        await second.start()
        try:
            answers.append(
                json.loads(second.api.handle("/Traces", json.dumps({"TraceIds": [trace]}).encode()).body)
            )
            answers.append(json.loads(second.api.handle("/GetSamplingRules", b"{}").body))
            assert not second.dirty()
        finally:
            await second.stop()

    asyncio.run(read())

    # Then both are there
    # The stage and Lambda's two segments, and DynamoDB inferred from the subsegment sent on its own
    assert len(answers[0]["Traces"][0]["Segments"]) == 4
    assert [r["SamplingRule"]["RuleName"] for r in answers[1]["SamplingRuleRecords"]] == [
        "postcards-api",
        "Default",
    ]


def test_without_persistence_nothing_is_read_or_written(tmp_path):
    (tmp_path / BASE_FILE).write_text("{}")
    xray = XRay(tmp_path, "us-east-1", "123456789012", port=0, persist=False)

    run_once(
        xray, [("/TraceSegments", {"TraceSegmentDocuments": [json.dumps(api_request_trace(trace_id())[0])]})]
    )

    assert (tmp_path / BASE_FILE).read_text() == "{}"


def test_a_broken_state_file_costs_a_fresh_start(tmp_path, capsys):
    (tmp_path / BASE_FILE).write_text('{"traces": {"version": 99}}')
    xray = XRay(tmp_path, "us-east-1", "123456789012", port=0)

    statuses = run_once(xray, [("/GetSamplingRules", {})])

    assert statuses == [200]
    assert "ignoring" in capsys.readouterr().out
    assert len(xray.store) == 0

"""Segment documents: what X-Ray accepts, and a trace assembled as BatchGetTraces shows it."""

from __future__ import annotations

import pytest

from local.services.xray import documents
from local.services.xray.documents import InvalidDocument
from tests.local.xray.support import EPOCH, api_request_trace, segment, segment_id, trace_id


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        ({"id": "xyz"}, "16 hexadecimal digits"),
        ({"trace_id": "1-abc"}, "1-<8 hex>-<24 hex>"),
        ({"name": ""}, "name must be"),
        ({"name": "n" * 201}, "name must be"),
        ({"start_time": "yesterday"}, "start_time"),
        ({"end_time": None}, "end_time is required"),
        ({"type": "subsegment"}, "parent_id"),
    ],
)
def test_a_document_x_ray_would_refuse_is_refused_with_the_reason(change, complaint):
    # Given a valid segment with one field spoiled
    document = segment(trace_id(), 1, "api", EPOCH, EPOCH + 1) | change

    # When it is validated / Then the error says what is wrong
    with pytest.raises(InvalidDocument, match=complaint):
        documents.validate(document)


def test_an_in_progress_segment_needs_no_end_time():
    document = segment(trace_id(), 1, "api", EPOCH, None)

    assert documents.validate(document) is document
    assert not documents.is_complete(document)


def test_subsegments_sent_on_their_own_land_under_their_parent_even_when_they_arrive_first():
    # Given a grandchild subsegment that arrived before its parent subsegment, and both before the segment
    trace = trace_id()
    root = segment(trace, 1, "api", EPOCH, EPOCH + 1)
    child = segment(trace, 2, "work", EPOCH + 0.1, EPOCH + 0.5, type="subsegment", parent_id=segment_id(1))
    grandchild = segment(
        trace, 3, "step", EPOCH + 0.2, EPOCH + 0.3, type="subsegment", parent_id=segment_id(2)
    )

    # When the trace is assembled
    assembled = documents.assemble([grandchild, child, root])

    # Then the tree is whole, the subsegments lost their standalone fields, and the input is untouched
    (api,) = assembled.segments
    (work,) = api["subsegments"]
    assert work["id"] == segment_id(2)
    assert "type" not in work
    assert "parent_id" not in work
    assert "trace_id" not in work
    assert [s["id"] for s in work["subsegments"]] == [segment_id(3)]
    assert "subsegments" not in root
    assert assembled.orphans == []
    assert not assembled.is_partial


def test_a_subsegment_whose_parent_never_came_leaves_the_trace_partial():
    trace = trace_id()
    lonely = segment(trace, 2, "work", EPOCH, EPOCH + 1, type="subsegment", parent_id=segment_id(9))

    assembled = documents.assemble([segment(trace, 1, "api", EPOCH, EPOCH + 2), lonely])

    assert assembled.orphans == [lonely]
    assert assembled.is_partial


def test_a_streamed_subsegment_replaces_the_embedded_copy_with_its_id():
    trace = trace_id()
    root = segment(
        trace,
        1,
        "api",
        EPOCH,
        EPOCH + 1,
        subsegments=[{"id": segment_id(2), "name": "work", "start_time": EPOCH, "in_progress": True}],
    )
    done = segment(trace, 2, "work", EPOCH, EPOCH + 0.5, type="subsegment", parent_id=segment_id(1))

    (api,) = documents.assemble([root, done]).segments

    assert api["subsegments"] == [
        {"id": segment_id(2), "name": "work", "start_time": EPOCH, "end_time": EPOCH + 0.5}
    ]


def test_an_aws_call_without_a_segment_of_its_own_gets_an_inferred_segment():
    # Given the API request trace: the stage calls Lambda (which sent segments), the function calls DynamoDB
    assembled = documents.assemble(api_request_trace(trace_id()))

    # Then DynamoDB appears as an inferred segment under the SDK's subsegment, and Lambda does not
    inferred = [s for s in assembled.segments if s.get("inferred")]
    assert len(inferred) == 1
    (dynamodb,) = inferred
    assert dynamodb["name"] == "DynamoDB"
    assert dynamodb["origin"] == "AWS::DynamoDB::Table"
    assert dynamodb["parent_id"] == segment_id(7)
    assert dynamodb["aws"] == {"operation": "Query", "table_name": "postcards"}
    assert documents.SEGMENT_ID.match(dynamodb["id"])


def test_the_python_sdks_service_names_become_x_rays():
    trace = trace_id()
    root = segment(
        trace,
        1,
        "fn",
        EPOCH,
        EPOCH + 1,
        subsegments=[
            {
                "id": segment_id(2),
                "name": "s3",
                "namespace": "aws",
                "start_time": EPOCH,
                "end_time": EPOCH + 0.1,
            }
        ],
    )

    (s3,) = [s for s in documents.assemble([root]).segments if s.get("inferred")]

    assert (s3["name"], s3["origin"]) == ("S3", "AWS::S3::Bucket")


def test_the_root_segment_is_the_earliest_one_without_a_parent_in_the_trace():
    segments = documents.assemble(api_request_trace(trace_id())).segments

    root = documents.root_segment(segments)

    assert root is not None
    assert root["name"] == "postcards/v1"

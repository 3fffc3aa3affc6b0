"""Request ids (the executor's and the API gateway's) and the trace headers Lambda passes on."""

from __future__ import annotations

import re
import uuid

from local import ids
from local.services.lambda_.invocation import new_trace_id


def test_request_ids_are_distinct_version_4_uuids_in_canonical_form() -> None:
    # When many request ids are made
    made = [ids.request_id() for _ in range(2000)]
    # Then each is a canonical RFC 4122 version 4 UUID, and no two are the same
    for request_id in made:
        parsed = uuid.UUID(request_id)
        assert (parsed.version, parsed.variant) == (4, uuid.RFC_4122)
        assert str(parsed) == request_id
    assert len(set(made)) == len(made)


def test_trace_headers_have_the_x_ray_shape_and_the_sampling_decision() -> None:
    # When trace headers are made for a sampled and an unsampled invocation
    sampled, unsampled = new_trace_id(True), new_trace_id(False)
    # Then both are Root=1-<8 hex epoch>-<24 hex>;Parent=<16 hex>;Sampled=<0|1>
    shape = re.compile(r"Root=1-[0-9a-f]{8}-[0-9a-f]{24};Parent=[0-9a-f]{16};Sampled=([01])")
    first, second = shape.fullmatch(sampled), shape.fullmatch(unsampled)
    assert first is not None
    assert first.group(1) == "1"
    assert second is not None
    assert second.group(1) == "0"

"""Request ids (the executor's and the API gateway's); Lambda's trace headers are in
tests/local/lambda_/test_telemetry.py."""

from __future__ import annotations

import uuid

from local import ids


def test_request_ids_are_distinct_version_4_uuids_in_canonical_form() -> None:
    # When many request ids are made
    made = [ids.request_id() for _ in range(2000)]
    # Then each is a canonical RFC 4122 version 4 UUID, and no two are the same
    for request_id in made:
        parsed = uuid.UUID(request_id)
        assert (parsed.version, parsed.variant) == (4, uuid.RFC_4122)
        assert str(parsed) == request_id
    assert len(set(made)) == len(made)

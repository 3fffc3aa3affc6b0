"""The thumbnails function failing every invocation (``function-error``): photos uploaded meanwhile
cannot be processed. Postcards are unaffected; Lambda retries each S3 event (twice) and then sends
it to the function's on-failure queue; the next housekeeping run marks those uploads failed (with a
reason the uploader can read), removes their files and drains the queue."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from tests.local.api.conftest import Api
from tests.local.chaos.experiment import Experiment
from tests.local.chaos.faults import LocalFaults
from tests.local.chaos.hypothesis import Expectation, steady_state
from tests.local.chaos.measure import LoadShape
from tests.local.cloudfront.browser_support import Site, jpeg_bytes
from tests.unit.housekeeping.helpers import scheduled_event

pytestmark = pytest.mark.slow

# Lambda's tries of one event (1 + 2 retries, stack.tf) with the local cloud's short retry delays
# (1 s, 2 s), then the on-failure record: well within this.
FAILURE_RECORD_TIMEOUT_S = 60


def queued(api: Api, queue_url: str) -> int:
    attributes = api.cloud.client("sqs").get_queue_attributes(
        QueueUrl=queue_url, AttributeNames=["ApproximateNumberOfMessages"]
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"])


def test_thumbnails_failing_uploads_end_failed_and_housekeeping_cleans_up(
    api: Api, faults: LocalFaults, load_shape: LoadShape, site: Site
) -> None:
    outputs = api.cloud.endpoints["terraform_outputs"]
    thumbnails = outputs["function_names"]["thumbnails"]
    housekeeping = outputs["function_names"]["housekeeping"]
    queue_url = outputs["failure_queues"]["thumbnails"]["url"]

    # Given the hypothesis: postcards are as steady as before; an upload made meanwhile lands in
    # the on-failure queue and, after a housekeeping run, is failed, its file gone, the queue empty
    hypothesis = steady_state(
        "with the thumbnails function failing, postcards are unaffected, and an upload made "
        "meanwhile ends failed (not pending forever) once housekeeping has run",
        max_error_rate=0.0,
        max_p99_ms=3000,
        recovery_s=30,
        fault_visible=(
            Expectation(
                "the failed event reached the on-failure queue",
                "observed.queued_before_housekeeping",
                ">=",
                1,
            ),
            Expectation("housekeeping marked the upload failed", "observed.upload_status", "==", "failed"),
            Expectation("housekeeping drained the queue", "observed.queued_after_housekeeping", "==", 0),
            Expectation("the upload's file was removed", "observed.file_left", "==", False),
        ),
    )
    fault = faults.fault(
        "function-error", "the thumbnails function fails every invocation", function=thumbnails
    )

    def an_upload_under_the_fault() -> dict[str, Any]:
        photo = jpeg_bytes()
        upload = site.create_upload("image/jpeg", len(photo))
        site.upload_bytes(upload["presigned_post"], photo)
        deadline = time.monotonic() + FAILURE_RECORD_TIMEOUT_S
        while queued(api, queue_url) == 0 and time.monotonic() < deadline:
            time.sleep(0.5)
        waited = queued(api, queue_url)
        pending = site.wait_for_upload(upload["id"], lambda u: True)["status"]
        answer = api.cloud.client("lambda").invoke(
            FunctionName=housekeeping, Payload=json.dumps(scheduled_event()).encode()
        )
        summary = json.loads(answer["Payload"].read())
        stored = site.wait_for_upload(upload["id"], lambda u: u["status"] != "pending")
        return {
            "queued_before_housekeeping": waited,
            "status_before_housekeeping": pending,
            "housekeeping": summary.get("thumbnail_failures", summary),
            "upload_status": stored["status"],
            "upload_reason": stored["failure_reason"],
            "queued_after_housekeeping": queued(api, queue_url),
            "file_left": _file_left(api, outputs["media_bucket"], upload["id"]),
        }

    # When the experiment runs
    result = Experiment(
        "thumbnails-failing", hypothesis, fault, load_shape, observe_during=an_upload_under_the_fault
    ).run(api)

    # Then the hypothesis held
    assert result.held, result.summary()


def _file_left(api: Api, bucket: str, upload_id: str) -> bool:
    listed = api.cloud.client("s3").list_objects_v2(Bucket=bucket, Prefix=f"uploads/{upload_id}")
    return bool(listed.get("KeyCount"))

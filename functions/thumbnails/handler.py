"""Lambda entry point: S3 ``ObjectCreated`` notifications for ``uploads/`` (asynchronous invoke).

Bad files are outcomes (the upload is marked failed and the object removed), so the function does
not raise for them and never crash-loops on one. AWS faults do raise: Lambda's async retries and the
on-failure destination take over, and every step is safe to repeat (see ``pipeline``).
"""

from __future__ import annotations

from collections import Counter
from typing import Any
from urllib.parse import unquote_plus

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes import S3Event, event_source
from aws_lambda_powertools.utilities.typing import LambdaContext

from common.tracing import make_tracer
from thumbnails.pipeline import CreatedObject, Outcome, process

logger = Logger()
# Only the AWS SDK is traced: patching every library X-Ray knows would be init work for nothing.
tracer = make_tracer(patch_modules=("botocore",))
metrics = Metrics()

OUTCOME_METRICS = {
    Outcome.CREATED: "ThumbnailsCreated",
    Outcome.REJECTED: "UploadsRejected",
    Outcome.STRAY_REMOVED: "StrayObjectsRemoved",
    Outcome.SKIPPED: "EventsSkipped",
}


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
@event_source(data_class=S3Event)
def lambda_handler(event: S3Event, context: LambdaContext) -> dict[str, Any]:
    outcomes: Counter[Outcome] = Counter()
    # S3 sends a test event without records when a notification is configured.
    for record in event.records if "Records" in event else ():
        if not record.event_name.startswith("ObjectCreated:"):
            logger.info("ignoring a non-create event", extra={"event_name": record.event_name})
            outcomes[Outcome.SKIPPED] += 1
            continue
        obj = record.s3.get_object
        # Keys in S3 notifications are URL-encoded (spaces as '+').
        created = CreatedObject(bucket=record.s3.bucket.name, key=unquote_plus(obj.key), size=obj.size)
        outcomes[_process_traced(created)] += 1
    for outcome, name in OUTCOME_METRICS.items():
        metrics.add_metric(name=name, unit=MetricUnit.Count, value=outcomes[outcome])
    return {"outcomes": {outcome.value: outcomes[outcome] for outcome in Outcome}}


@tracer.capture_method(capture_response=False)
def _process_traced(created: CreatedObject) -> Outcome:
    try:
        return process(created)
    finally:
        logger.remove_keys(["upload_id"])

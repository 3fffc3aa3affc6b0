"""Lambda entry point: the scheduled housekeeping job (EventBridge schedule, asynchronous invoke).

One run marks failed the uploads whose thumbnail failed for good (``failures``: the thumbnails
function's on-failure queue, drained), removes uploads nobody will use (``sweep``), counts today's
postcards (``stats``), publishes both as CloudWatch metrics (EMF through Powertools) and returns a
JSON summary. Work is bounded (items and time); what is left waits for the next run. Running twice,
or two runs at once, is safe: every removal is conditional on the item being unchanged.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final

from aws_lambda_powertools import Logger, Metrics, single_metric
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes import EventBridgeEvent, event_source
from aws_lambda_powertools.utilities.typing import LambdaContext

from common import clock
from common.tracing import make_tracer
from housekeeping import failures
from housekeeping.config import Config
from housekeeping.stats import postcards_written_on
from housekeeping.sweep import Reason, SweepResult, sweep

logger = Logger()
tracer = make_tracer(patch_modules=("botocore",))
metrics = Metrics()

# Stop taking new candidates when less than this is left of the invocation's timeout: the item in
# hand, the statistics and the metrics flush must still fit.
TIME_RESERVE_MS: Final = 10_000


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
@event_source(data_class=EventBridgeEvent)
def lambda_handler(event: EventBridgeEvent, context: LambdaContext) -> dict[str, Any]:
    config = Config.from_env()
    now = clock.utc_now()
    logger.info(
        "housekeeping run", extra={"scheduled_time": event.get("time"), "rule": event.get("resources")}
    )

    drained = _drain_thumbnail_failures(config)
    result = _sweep(config, now, context)
    postcards_today = _postcards_today(config, now)

    _publish(result, postcards_today)
    if drained is not None:
        metrics.add_metric(
            name="UploadsFailedByThumbnails", unit=MetricUnit.Count, value=drained.marked_failed
        )
    summary = {
        "thumbnail_failures": failures.as_dict(drained) if drained is not None else None,
        "removed": {reason.value: result.removed[reason] for reason in Reason},
        "removed_total": sum(result.removed.values()),
        "changed_meanwhile": result.changed,
        "object_delete_errors": result.object_errors,
        "more_remaining": result.more_remaining,
        "postcards_today": postcards_today,
        "ran_at": clock.isoformat(now),
    }
    logger.info("housekeeping done", extra={"summary": summary})
    return summary


@tracer.capture_method(capture_response=False)
def _drain_thumbnail_failures(config: Config) -> failures.DrainResult | None:
    if config.thumbnail_failure_queue is None:
        return None
    return failures.drain(
        config.thumbnail_failure_queue,
        config.uploads_table,
        config.media_bucket,
        max_messages=config.max_failure_messages,
    )


@tracer.capture_method(capture_response=False)
def _sweep(config: Config, now: datetime, context: LambdaContext) -> SweepResult:
    return sweep(config, now, out_of_time=lambda: context.get_remaining_time_in_millis() < TIME_RESERVE_MS)


@tracer.capture_method(capture_response=False)
def _postcards_today(config: Config, now: datetime) -> int:
    return postcards_written_on(now, table=config.postcards_table, page_size=config.page_size)


def _publish(result: SweepResult, postcards_today: int) -> None:
    metrics.add_metric(name="PostcardsWrittenToday", unit=MetricUnit.Count, value=postcards_today)
    metrics.add_metric(name="UploadsRemoved", unit=MetricUnit.Count, value=sum(result.removed.values()))
    metrics.add_metric(name="UploadObjectDeleteErrors", unit=MetricUnit.Count, value=result.object_errors)
    # 1 when the run hit its budget: an alarm on several in a row means the schedule or the budget
    # is too small for the traffic.
    metrics.add_metric(name="HousekeepingBacklog", unit=MetricUnit.Count, value=int(result.more_remaining))
    # The same metric per reason, under an extra dimension (a metric set shares its dimensions, so
    # each reason is its own EMF document).
    for reason in Reason:
        with single_metric(
            name="UploadsRemoved", unit=MetricUnit.Count, value=result.removed[reason]
        ) as metric:
            metric.add_dimension(name="service", value=str(metrics.service))
            metric.add_dimension(name="Reason", value=reason.value)

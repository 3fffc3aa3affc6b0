"""moto's CloudWatch made to answer as CloudWatch does where alarms and metric graphs depend on it.

Runs inside the control-plane process (``install``), like the other services' moto patches:

- GetMetricStatistics aligns periods to the period (a 60 s period starts on the minute) instead of at
  the first sample, matches dimensions exactly (a metric is its name, namespace and whole dimension
  set: asking for ``FunctionName`` must not add up the ``FunctionName, Resource`` series too), and
  answers ``ExtendedStatistics`` (percentiles), which moto ignores;
  https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_GetMetricStatistics.html
- GetMetricData's ``Stat`` may be a percentile too;
- a new alarm starts in INSUFFICIENT_DATA and PutMetricAlarm on an existing alarm keeps its state,
  as https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html says;
- samples are kept 24 hours and at most ``MAX_SAMPLES`` (CloudWatch keeps 1-minute data 15 days;
  a laptop does not need to);
- DescribeAlarmHistory, which moto lacks: each state change is a ``StateUpdate`` item ("Alarm updated
  from OK to ALARM"), and the alarm loop records each action it ran or failed to run as an ``Action``
  item (``record_history``, through ``POST /_local/cloudwatch/alarm-history``), which is where
  CloudWatch tells that a notification was not delivered.
  https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_DescribeAlarmHistory.html
- a ``Values``/``Counts`` datum stores its ``count`` equal samples as one sample object listed
  ``count`` times, not ``count`` objects: the same samples for every reader, at a fraction of the
  cost (moto builds each object's dimensions and timestamp anew, and the local cloud's own metrics
  fold each second's requests into such counts), and moto does not keep a second reference to each
  sample for its ``/moto-api`` view (``_untracked_samples``), so bounded samples stay bounded.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from local.services.cloudwatch.metrics import statistic

MAX_SAMPLES = 200_000
RETENTION = timedelta(hours=24)
_STANDARD = ("Sum", "Average", "Minimum", "Maximum", "SampleCount")


def _epoch(moment: datetime) -> float:
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


def _like(moment: datetime, epoch: float) -> datetime:
    """``epoch`` as a datetime as naive or aware as ``moment`` (moto mixes neither)."""
    aware = datetime.fromtimestamp(epoch, UTC)
    return aware if moment.tzinfo else aware.replace(tzinfo=None)


def _percentiles(stats: Any) -> dict[str, float]:
    values = stats.metric_single_values_list
    found = {}
    for name in stats.stats:
        if name not in _STANDARD and values:
            value = statistic(values, name)
            if value is not None:
                found[name] = value
    return found


def install() -> None:
    from moto.cloudwatch import models

    if getattr(models, "_postcards_patched", False):
        return
    models._postcards_patched = True  # type: ignore[attr-defined]
    _percentile_statistics(models)
    _aligned_statistics(models)
    _alarm_states(models)
    _untracked_samples(models)
    _shared_samples(models)
    _bounded_samples(models)
    _alarm_history(models)


def _percentile_statistics(models: Any) -> None:
    standard_statistic = models.Statistics.get_statistics_for_type

    def get_statistics_for_type(self: Any, stat: str) -> Any:
        if stat in _STANDARD:
            return standard_statistic(self, stat)
        return _percentiles(self).get(stat)

    models.Statistics.get_statistics_for_type = get_statistics_for_type
    # The Datapoint shape's ExtendedStatistics map, read by moto's serializer.
    models.Statistics.extended_statistics = property(lambda self: _percentiles(self) or None)


def _aligned_statistics(models: Any) -> None:
    from moto.cloudwatch import responses

    def get_metric_statistics(  # noqa: PLR0917 (moto's positional signature)
        self: Any,
        namespace: str,
        metric_name: str,
        start_time: datetime,
        end_time: datetime,
        period: int,
        stats: list[str],
        dimensions: list[dict[str, str]],
        unit: str | None = None,
    ) -> list[Any]:
        if start_time >= end_time:
            raise models.InvalidParameterValue(
                "The parameter StartTime must be less than the parameter EndTime."
            )
        first = (_epoch(start_time) // period) * period
        end = _epoch(end_time)
        wanted = sorted((d["Name"], d.get("Value")) for d in dimensions or ())
        buckets: dict[int, list[Any]] = {}
        for datum in self.get_all_metrics():
            if datum.namespace != namespace or datum.name != metric_name or (unit and datum.unit != unit):
                continue
            moment = _epoch(datum.timestamp)
            if not first <= moment < end or sorted((d.name, d.value) for d in datum.dimensions) != wanted:
                continue
            buckets.setdefault(int((moment - first) // period), []).append(datum)
        found = []
        for index in sorted(buckets):
            stats_for_period = models.Statistics(stats, _like(start_time, first + index * period))
            stats_for_period.metric_data = buckets[index]
            stats_for_period.unit = buckets[index][-1].unit
            found.append(stats_for_period)
        return found

    def get_metric_statistics_response(self: Any) -> Any:
        statistics = list(self._get_param("Statistics", []) or []) + list(
            self._get_param("ExtendedStatistics", []) or []
        )
        if not statistics:
            raise models.InvalidParameterCombination("Must specify either Statistics or ExtendedStatistics")
        datapoints = self.cloudwatch_backend.get_metric_statistics(
            self._get_param("Namespace"),
            self._get_param("MetricName"),
            self._get_param("StartTime"),
            self._get_param("EndTime"),
            self._get_int_param("Period"),
            statistics,
            unit=self._get_param("Unit"),
            dimensions=self._get_param("Dimensions", []),
        )
        return responses.ActionResult({"Label": self._get_param("MetricName"), "Datapoints": datapoints})

    models.CloudWatchBackend.get_metric_statistics = get_metric_statistics
    responses.CloudWatchResponse.get_metric_statistics = get_metric_statistics_response  # type: ignore[method-assign]


def _alarm_states(models: Any) -> None:
    original_alarm_init = models.Alarm.__init__
    original_put_metric_alarm = models.CloudWatchBackend.put_metric_alarm

    def alarm_init(self: Any, *args: Any, **kwargs: Any) -> None:
        original_alarm_init(self, *args, **kwargs)
        self.state_value = "INSUFFICIENT_DATA"

    def put_metric_alarm(self: Any, *args: Any, **kwargs: Any) -> Any:
        name = kwargs.get("name", args[0] if args else None)
        previous = self.alarms.get(name)
        alarm = original_put_metric_alarm(self, *args, **kwargs)
        if previous is not None:
            for field in (
                "state_value",
                "state_reason",
                "state_reason_data",
                "state_updated_timestamp",
                "history",
                "local_history",
            ):
                setattr(alarm, field, getattr(previous, field))
        return alarm

    models.Alarm.__init__ = alarm_init
    models.CloudWatchBackend.put_metric_alarm = put_metric_alarm


def _shared_samples(models: Any) -> None:
    """moto appends ``count`` new MetricDatum objects for each value of a Values/Counts datum; the
    same list, with one object per value repeated ``count`` times (samples are never mutated). moto
    builds the first value's sample; the others copy it with their value, sharing its dimensions and
    timestamp (built once per datum, not once per value)."""
    original_put_metric_data = models.CloudWatchBackend.put_metric_data
    sample_class = models.MetricDatum

    def put_metric_data(self: Any, namespace: str, metric_data: list[dict[str, Any]]) -> None:
        for number, metric in enumerate(metric_data, start=1):
            self._validate_parameters_put_metric_data(metric, number)  # Counts included, as moto does
        once = [
            {**m, "Values": m["Values"][:1], "Counts": None} if m.get("Values") else m for m in metric_data
        ]
        start = len(self.metric_data)
        original_put_metric_data(self, namespace, once)
        added, repeated = self.metric_data[start:], []
        for first, metric in zip(added, metric_data, strict=True):
            values = metric.get("Values")
            if not values:  # one sample: Value or StatisticValues
                repeated.append(first)
                continue
            counts = metric.get("Counts") or [1] * len(values)
            for value, count in zip(values, counts, strict=True):
                sample = first
                if float(value) != first.value:
                    sample = object.__new__(sample_class)
                    sample.__dict__.update(first.__dict__, value=float(value))
                repeated += [sample] * int(float(count))
        self.metric_data[start:] = repeated

    models.CloudWatchBackend.put_metric_data = put_metric_data


def _untracked_samples(models: Any) -> None:
    """moto's models list every instance they make for its ``/moto-api`` view, forever: every sample
    would outlive ``_bounded_samples``. Samples are the one model made per request: not listed."""

    def new(cls: type, *args: Any, **kwargs: Any) -> Any:
        return object.__new__(cls)

    models.MetricDatumBase.__new__ = new


def _bounded_samples(models: Any) -> None:
    original_put_metric_data = models.CloudWatchBackend.put_metric_data

    def put_metric_data(self: Any, namespace: str, metric_data: list[dict[str, Any]]) -> None:
        original_put_metric_data(self, namespace, metric_data)
        data = self.metric_data
        if len(data) > MAX_SAMPLES * 1.1:
            del data[: len(data) - MAX_SAMPLES]
        cutoff = _epoch(data[-1].timestamp) - RETENTION.total_seconds() if data else 0.0
        if data and _epoch(data[0].timestamp) < cutoff:
            self.metric_data = [d for d in data if _epoch(d.timestamp) >= cutoff]

    models.CloudWatchBackend.put_metric_data = put_metric_data


HISTORY_ITEM_TYPES = ("ConfigurationUpdate", "StateUpdate", "Action")


def _history(alarm: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = alarm.__dict__.setdefault("local_history", [])
    return items


def _append(alarm: Any, item_type: str, summary: str, data: str) -> None:
    _history(alarm).append(
        {
            "AlarmName": alarm.name,
            "AlarmType": "MetricAlarm",
            "Timestamp": datetime.now(UTC),
            "HistoryItemType": item_type,
            "HistorySummary": summary,
            "HistoryData": data,
        }
    )


def record_history(
    account_id: str, region: str, alarm_name: str, *, item_type: str, summary: str, data: str
) -> bool:
    """Add an item to an alarm's history; False when there is no such alarm."""
    from moto.cloudwatch.models import cloudwatch_backends

    if item_type not in HISTORY_ITEM_TYPES:
        raise ValueError(f"HistoryItemType must be one of {HISTORY_ITEM_TYPES}, not {item_type!r}")
    alarm = cloudwatch_backends[account_id][region].alarms.get(alarm_name)
    if alarm is None:
        return False
    _append(alarm, item_type, summary, data)
    return True


def _alarm_history(models: Any) -> None:
    from moto.cloudwatch.responses import CloudWatchResponse
    from moto.core.responses import ActionResult

    original_update_state = models.Alarm.update_state

    def update_state(self: Any, reason: str, reason_data: str, state_value: str) -> None:
        old = {"stateValue": self.state_value, "stateReason": self.state_reason}
        original_update_state(self, reason, reason_data, state_value)
        new = {"stateValue": state_value, "stateReason": reason}
        if reason_data:
            new["stateReasonData"] = json.loads(reason_data)
        data = json.dumps({"version": "1.0", "oldState": old, "newState": new})
        _append(self, "StateUpdate", f"Alarm updated from {old['stateValue']} to {state_value}", data)

    def describe_alarm_history(self: Any) -> ActionResult:
        name = self._get_param("AlarmName")
        item_type = self._get_param("HistoryItemType")
        start, end = self._get_param("StartDate"), self._get_param("EndDate")
        limit = int(self._get_param("MaxRecords") or 100)
        alarms = self.cloudwatch_backend.alarms
        items = [item for alarm in alarms.values() if name in (None, alarm.name) for item in _history(alarm)]
        items = [
            item
            for item in items
            if (item_type is None or item["HistoryItemType"] == item_type)
            and (start is None or item["Timestamp"] >= _aware(start))
            and (end is None or item["Timestamp"] <= _aware(end))
        ]
        items.sort(
            key=lambda item: item["Timestamp"], reverse=self._get_param("ScanBy") != "TimestampAscending"
        )
        return ActionResult({"AlarmHistoryItems": items[:limit]})

    models.Alarm.update_state = update_state
    CloudWatchResponse.describe_alarm_history = describe_alarm_history  # type: ignore[attr-defined]


def _aware(moment: Any) -> datetime:
    if isinstance(moment, (int, float)):
        return datetime.fromtimestamp(moment, UTC)
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)

"""Metric datums and the batching publisher the executor and the gateway record them through.

Datums go to the control plane's PutMetricData
(https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricData.html) in the
background: ``record`` only appends to a bounded buffer, so an invocation never waits on CloudWatch;
when the buffer is full a datum is dropped and counted. A flush folds equal datums of the same second
into one ``Values`` / ``Counts`` pair (at most 150 distinct values each) and sends at most
``MAX_DATUMS_PER_CALL`` datums a call, the way the CloudWatch agent batches.

``statistic`` computes a statistic of a set of samples as GetMetricStatistics names them
(https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Statistics-definitions.html),
percentiles by nearest rank: CloudWatch does not publish its percentile method, and on the few
samples a local run has, nearest rank returns a value that was actually observed.
"""

from __future__ import annotations

import asyncio
import math
import re
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any, NamedTuple

from local.background import BackgroundTask

FLUSH_INTERVAL_S = 1.0
MAX_PENDING = 50_000
MAX_DATUMS_PER_CALL = 500  # PutMetricData takes 1,000 and 1 MB; half keeps a call well under both
MAX_VALUES_PER_DATUM = 150

Dimensions = tuple[tuple[str, str], ...]
PutMetricData = Callable[[str, list[dict[str, Any]]], Awaitable[None]]


class MetricDatum(NamedTuple):
    """One sample. A named tuple: the executor and the gateway make ~18 per request, and a tuple is
    built several times faster than a frozen dataclass (which sets each field through
    ``object.__setattr__``)."""

    namespace: str
    name: str
    value: float
    timestamp: float  # epoch seconds
    unit: str = "None"
    dimensions: Dimensions = ()
    storage_resolution: int = 60


def dimensions(**pairs: str) -> Dimensions:
    return tuple(pairs.items())


class MetricPublisher:
    def __init__(
        self,
        put: PutMetricData,
        *,
        flush_interval_s: float = FLUSH_INTERVAL_S,
        max_pending: int = MAX_PENDING,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.put = put
        self.flush_interval_s = flush_interval_s
        self.max_pending = max_pending
        self.clock = clock
        self._pending: list[MetricDatum] = []
        self.dropped = 0
        self.published = 0
        self.failed = 0
        self._loop = BackgroundTask(self._run, "metric-publisher")
        self._reported_failure = False

    def record(
        self,
        namespace: str,
        name: str,
        value: float,
        *,
        unit: str = "None",
        dimensions: Dimensions = (),
        timestamp: float | None = None,
    ) -> None:
        """Queue one datum (never blocks; dropped and counted when the buffer is full)."""
        self.add(
            MetricDatum(
                namespace,
                name,
                float(value),
                self.clock() if timestamp is None else timestamp,
                unit,
                dimensions,
            )
        )

    def add(self, datum: MetricDatum) -> None:
        if len(self._pending) >= self.max_pending:
            self.dropped += 1
            return
        self._pending.append(datum)

    def add_all(self, datums: Iterable[MetricDatum]) -> None:
        """``add`` for each, in one step (a request records ~18)."""
        batch = datums if isinstance(datums, list) else list(datums)
        room = max(0, self.max_pending - len(self._pending))
        if len(batch) > room:
            self.dropped += len(batch) - room
            batch = batch[:room]
        self._pending.extend(batch)

    async def flush(self) -> None:
        pending, self._pending = self._pending, []
        for namespace, data in batches(pending):
            try:
                await self.put(namespace, data)
            except Exception as error:  # the control plane may be restarting: count, report once, go on
                self.failed += sum(sum(d["Counts"]) for d in data)
                if not self._reported_failure:
                    print(
                        f"cloudwatch: PutMetricData failed ({error!r}); metrics dropped",
                        file=sys.stderr,
                        flush=True,
                    )
                    self._reported_failure = True
                continue
            self.published += sum(sum(d["Counts"]) for d in data)

    async def start(self) -> None:
        self._loop.start()

    async def reload(self) -> None:
        """Nothing deployed changes the publisher."""

    async def stop(self) -> None:
        await self._loop.stop()
        await self.flush()

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.flush_interval_s)
            await self.flush()


def batches(datums: Iterable[MetricDatum]) -> list[tuple[str, list[dict[str, Any]]]]:
    """PutMetricData calls for ``datums``: per namespace, equal datums of a second folded together."""
    grouped: dict[str, dict[tuple[Any, ...], Counter[float]]] = defaultdict(lambda: defaultdict(Counter))
    for datum in datums:
        key = (datum.name, datum.dimensions, datum.unit, int(datum.timestamp), datum.storage_resolution)
        grouped[datum.namespace][key][datum.value] += 1
    calls: list[tuple[str, list[dict[str, Any]]]] = []
    for namespace, series in grouped.items():
        data: list[dict[str, Any]] = []
        for (name, dims, unit, second, resolution), values in series.items():
            items = sorted(values.items())
            for start in range(0, len(items), MAX_VALUES_PER_DATUM):
                chunk = items[start : start + MAX_VALUES_PER_DATUM]
                data.append(
                    {
                        "MetricName": name,
                        "Dimensions": [{"Name": k, "Value": v} for k, v in dims],
                        "Timestamp": float(second),
                        "Values": [value for value, _ in chunk],
                        "Counts": [float(count) for _, count in chunk],
                        "Unit": unit,
                        "StorageResolution": resolution,
                    }
                )
        for start in range(0, len(data), MAX_DATUMS_PER_CALL):
            calls.append((namespace, data[start : start + MAX_DATUMS_PER_CALL]))
    return calls


_STATISTICS: dict[str, Callable[[Sequence[float]], float]] = {
    "Sum": lambda samples: float(sum(samples)),
    "Average": lambda samples: float(sum(samples)) / len(samples),
    "Minimum": lambda samples: float(min(samples)),
    "Maximum": lambda samples: float(max(samples)),
    "SampleCount": lambda samples: float(len(samples)),
}
_PERCENTILE = re.compile(r"^p(\d{1,2}(?:\.\d+)?|100)$")


def statistic(samples: Sequence[float], name: str) -> float | None:
    """Sum, Average, Minimum, Maximum, SampleCount or pNN of ``samples``; None when there are none."""
    if not samples:
        return None
    simple = _STATISTICS.get(name)
    if simple is not None:
        return simple(samples)
    match = _PERCENTILE.match(name)
    if match is None:
        raise ValueError(f"unknown statistic {name!r}")
    ordered = sorted(samples)
    rank = math.ceil(float(match[1]) / 100 * len(ordered))
    return float(ordered[max(rank, 1) - 1])

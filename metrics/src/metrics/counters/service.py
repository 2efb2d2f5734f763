"""The counters: one metric per label (or per label and time bucket), and the names stored."""

from metrics.counters import repository
from metrics.counters.models import Interval, LabelCount, MetricName, SeriesPoint, Window
from metrics.db import Collection


async def counts(
    events: Collection, metric: str, window: Window, unit: Interval | None
) -> list[LabelCount] | list[SeriesPoint]:
    """``[{label, count}]`` without a unit, ``[{label, date, count}]`` per bucket with one."""
    if unit is None:
        rows = await repository.counts_by_label(events, metric, window)
        return [LabelCount(**row) for row in rows]
    return [SeriesPoint(**row) for row in await repository.series(events, metric, window, unit)]


async def names(events: Collection, window: Window) -> list[MetricName]:
    return [MetricName(**row) for row in await repository.metric_names(events, window)]

"""The counters: one metric per label (or per label and time bucket), and the names stored."""

from metrics.counters import repository
from metrics.counters.models import Interval, LabelCount, MetricName, SeriesPoint, Window
from metrics.services import Services


async def counts(
    services: Services, metric: str, window: Window, unit: Interval | None
) -> list[LabelCount] | list[SeriesPoint]:
    """``[{label, count}]`` without a unit, ``[{label, date, count}]`` per bucket with one."""
    if unit is None:
        rows = await repository.counts_by_label(services.events, metric, window)
        return [LabelCount(**row) for row in rows]
    rows = await repository.series(services.events, metric, window, unit)
    return [SeriesPoint(**row) for row in rows]


async def names(services: Services, window: Window) -> list[MetricName]:
    return [MetricName(**row) for row in await repository.metric_names(services.events, window)]

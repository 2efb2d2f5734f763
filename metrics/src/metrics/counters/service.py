"""The counters: one metric per label (or per label and time bucket), and the names stored."""

from metrics.counters import repository
from metrics.counters.models import Interval, LabelCount, MetricName, Window
from metrics.services import Services


async def counts(
    services: Services, metric: str, window: Window, unit: Interval | None
) -> list[LabelCount]:
    """``[{label, count}]`` without a unit, ``[{label, date, count}]`` per bucket with one."""
    if unit is None:
        return await repository.counts_by_label(services.rollups, metric, window)
    return await repository.series(services.rollups, metric, window, unit)


async def names(services: Services, window: Window) -> list[MetricName]:
    return await repository.metric_names(services.rollups, window)

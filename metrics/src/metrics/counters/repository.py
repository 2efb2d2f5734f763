"""The counters' reads over the rollups (rollups.py): the counters' repository.

A window ``[start, end)`` is answered from the month documents that meet it (their day slots
inside it) and, only where an end of the window cuts a day, an hour or a minute, from the one
document of that period for each label (its slots, or its events, inside the window). That is
two queries: the months, a range on the ``lv_metric_t`` index (``lv_t`` for the names) with
`$gte`/`$lt` on ``t``; then the cut documents by ``_id``, named from the labels the months hold
(every event of a period is in its month's slots). What a read touches is bounded by the window
and the labels, never by the number of events.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pymongo.errors import PyMongoError

from metrics.counters.models import Interval, LabelCount, MetricName, Window
from metrics.db import Collection
from metrics.errors import ServiceUnavailable
from metrics.rollups import BY_NAME, DAY, HOUR, LEVELS, MINUTE, MONTH, Key, Level, storable

NO_LABEL = "total"
MAX_QUERY_MS = 30_000
FIELDS = ["lv", "metric", "label", "t", "s", "e"]


@dataclass(frozen=True)
class Part:
    """A slot (or one event) inside the window: its metric and label, when, sum and count."""

    metric: str
    label: str
    start: datetime
    count: int | float
    events: int


def _millisecond(moment: datetime | None) -> datetime | None:
    """Stored dates are whole milliseconds, as a bound sent to MongoDB becomes."""
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000) if moment else None


def months(metric: str | None, start: datetime | None, end: datetime | None) -> dict[str, Any]:
    """The filter of the month documents that meet ``[start, end)``."""
    query: dict[str, Any] = {} if metric is None else {"metric": metric}
    query["lv"] = MONTH.name
    bounds: dict[str, datetime] = {}
    if start:
        bounds["$gte"] = MONTH.start(start)
    if end:
        bounds["$lt"] = end  # never `$lte` (SecantusDB drops the bound's equals: db.py)
    return {**query, "t": bounds} if bounds else query


def cuts(start: datetime | None, end: datetime | None) -> list[tuple[Level, datetime]]:
    """The days, hours and minutes an end of the window falls inside of (not on the boundary)."""
    return sorted(
        {
            (level, level.start(moment))
            for level in (DAY, HOUR, MINUTE)
            for moment in (start, end)
            if moment and level.start(moment) != moment
        },
        key=lambda cut: (LEVELS.index(cut[0]), cut[1]),
    )


def _parts(
    document: dict[str, Any], start: datetime | None, end: datetime | None
) -> Iterator[Part]:
    """What of one document lies inside ``[start, end)``: the slots wholly inside (a slot the
    window cuts is read from the document below), or a minute's events."""
    metric, label = document["metric"], document["label"] or NO_LABEL
    if document["lv"] == MINUTE.name:
        for event in document["e"].values():
            if (not start or start <= event["d"]) and (not end or event["d"] < end):
                yield Part(metric, label, event["d"], event["v"], 1)
        return
    level = BY_NAME[document["lv"]]
    child = LEVELS[LEVELS.index(level) - 1]
    for slot, totals in document["s"].items():
        slot_start = level.slot_start(document["t"], slot)
        if (not start or start <= slot_start) and (not end or child.end(slot_start) <= end):
            yield Part(metric, label, slot_start, totals["c"], totals["n"])


async def _find(rollups: Collection, query: dict[str, Any]) -> list[dict[str, Any]]:
    return await rollups.find(query, FIELDS, max_time_ms=MAX_QUERY_MS).to_list()


async def parts(rollups: Collection, metric: str | None, window: Window) -> list[Part]:
    """Everything ``metric`` (every metric when None) counted inside ``window``, each event once."""
    start, end = _millisecond(window.start), _millisecond(window.end)
    try:
        found = await _find(rollups, months(metric, start, end))
        labelled = {(d["metric"], d["label"]) for d in found}
        ids = [Key(level, m, label, t).id for level, t in cuts(start, end) for m, label in labelled]
        if ids:
            found += await _find(rollups, {"_id": {"$in": ids}})
    except PyMongoError as error:
        raise ServiceUnavailable("The metrics store is unavailable") from error
    return [part for document in found for part in _parts(document, start, end)]


def _sums(parts: list[Part], key: Any) -> dict[Any, list[int | float]]:
    """Per key: [sum, events]."""
    sums: dict[Any, list[int | float]] = {}
    for part in parts:
        total = sums.setdefault(key(part), [0, 0])
        total[0] += part.count
        total[1] += part.events
    return sums


async def counts_by_label(rollups: Collection, name: str, window: Window) -> list[LabelCount]:
    """``[{label, count}]``: the sum of ``value`` per label, the largest first."""
    sums = _sums(await parts(rollups, name, window), lambda part: part.label)
    rows = sorted(sums.items(), key=lambda item: (-item[1][0], item[0]))
    return [LabelCount(label=label, count=storable(total[0])) for label, total in rows]


def bucket(moment: datetime, unit: Interval) -> datetime:
    """The first day of the UTC day, ISO week (from Monday) or month holding ``moment``."""
    day = DAY.start(moment)
    if unit == "week":
        return day - timedelta(days=day.weekday())
    return MONTH.start(day) if unit == "month" else day


async def series(
    rollups: Collection, name: str, window: Window, unit: Interval
) -> list[LabelCount]:
    """``[{label, date, count}]`` per UTC day, ISO week (from Monday) or month."""
    sums = _sums(await parts(rollups, name, window), lambda p: (bucket(p.start, unit), p.label))
    rows = sorted(sums.items(), key=lambda item: (item[0][0], -item[1][0], item[0][1]))
    return [
        LabelCount(label=label, date=day.date().isoformat(), count=storable(total[0]))
        for (day, label), total in rows
    ]


async def metric_names(rollups: Collection, window: Window) -> list[MetricName]:
    """Every metric name stored, with the sum of its values and its number of events."""
    sums = _sums(await parts(rollups, None, window), lambda part: part.metric)
    return [
        MetricName(name=name, count=storable(total[0]), events=int(total[1]))
        for name, total in sorted(sums.items())
    ]

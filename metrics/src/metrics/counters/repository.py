"""The counters' reads over the rollups (rollups.py): the counters' repository.

A window ``[start, end)`` is answered from the month documents that meet it (their day slots
inside it) and, only where an end of the window cuts a day, an hour, a minute or a second, from
the one document of that period (its slots inside the window; a second's events inside it).
That is two queries, each of a few documents whatever the labels: the months, a range on the
``lv_metric_t`` index (``lv_t`` for the names) with `$gte`/`$lt` on ``t``; and the cut
documents by ``_id`` (at the same time, for one metric; after the months, which name the
metrics, for the names). What a read touches is bounded by the window (a slot per label and
second, minute, hour or day of a cut period, and the events of the one second each end cuts),
never by the number of events. Documents of 1.3.0's layout, until the upgrade removes
them, are passed over (rollups.old_layout).
"""

import asyncio
import math
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from pymongo.errors import PyMongoError

from metrics.counters.models import Interval, LabelCount, MetricName, Window
from metrics.db import Collection
from metrics.errors import ServiceUnavailable
from metrics.rollups import (
    BY_NAME,
    CHILD,
    DAY,
    HOUR,
    LENGTHS,
    MINUTE,
    MONTH,
    SECOND,
    Key,
    Level,
    label_of,
    old_layout,
    slot_totals,
    storable,
)

NO_LABEL = "total"
MAX_QUERY_MS = 30_000


class Part(NamedTuple):
    """A slot (or one event) inside the window: its metric and label, when, sum and count."""

    metric: str
    label: str
    start: datetime
    total: int | float
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
    """The days, hours, minutes and seconds an end of the window falls inside of (not on
    their start)."""
    return sorted(
        {
            (level, level.start(moment))
            for level in (DAY, HOUR, MINUTE, SECOND)
            for moment in (start, end)
            if moment and level.start(moment) != moment
        },
        key=lambda cut: (cut[0].name, cut[1]),
    )


def _slots_inside(
    level: Level, first: datetime, start: datetime | None, end: datetime | None
) -> tuple[float, float]:
    """The numbers of the slots of a ``level`` document starting at ``first`` that lie wholly
    inside ``[start, end)``: from, to (inclusive; infinite for an open end)."""
    length = LENGTHS[CHILD[level].name]
    base = 1 if level is MONTH else 0  # days are numbered from 1
    low = base - ((first - start) // length) if start else -math.inf  # ceiling
    high = base + (end - first) // length - 1 if end else math.inf
    return low, high


def _parts(
    document: dict[str, Any], start: datetime | None, end: datetime | None
) -> Iterator[Part]:
    """What of one document lies inside ``[start, end)``: the slots wholly inside (a slot the
    window cuts is read from the document below) or, in a second, the events inside. Below a
    month, a document lies inside one UTC day, hence inside one bucket of every interval: its
    slots are summed per label (one part each, dated at the document's start)."""
    metric, level, first = document["metric"], BY_NAME[document["lv"]], document["t"]
    sums: dict[str, list[int | float]] = {}
    if level is SECOND:
        for key, events in document["e"].items():
            for event in events.values():
                if (not start or start <= event["d"]) and (not end or event["d"] < end):
                    total = sums.setdefault(key, [0, 0])
                    total[0] += event["v"]
                    total[1] += 1
    elif level is MONTH:  # a day each
        low, high = _slots_inside(level, first, start, end)
        for slot, labels in document["s"].items():
            if low <= int(slot) <= high:  # else outside, or cut: read from the document below
                slot_start = level.slot_start(first, slot)
                for key, value in labels.items():
                    yield Part(metric, label_of(key) or NO_LABEL, slot_start, *slot_totals(value))
    else:
        low, high = _slots_inside(level, first, start, end)
        for slot, labels in document["s"].items():
            if not low <= int(slot) <= high:
                continue  # outside, or cut: read from the document below
            for key, value in labels.items():
                label_sums = sums.get(key)
                if label_sums is None:
                    label_sums = sums[key] = [0, 0]
                if type(value) is int:  # a bare count: the sum is the count (rollups.slot)
                    label_sums[0] += value
                    label_sums[1] += value
                else:
                    label_sums[0] += value["c"]
                    label_sums[1] += value["n"]
    for key, (summed, counted) in sums.items():
        yield Part(metric, label_of(key) or NO_LABEL, first, summed, int(counted))


async def _find(rollups: Collection, query: dict[str, Any]) -> list[dict[str, Any]]:
    # Whole documents: a projection costs SecantusDB more than the fields it saves.
    return await rollups.find(query, max_time_ms=MAX_QUERY_MS).to_list()


async def _cut(
    rollups: Collection, metrics: list[str], start: datetime | None, end: datetime | None
) -> list[dict[str, Any]]:
    """The documents of the periods the window cuts: days, hours, minutes and seconds."""
    ids = [Key(level, m, t).id for level, t in cuts(start, end) for m in metrics]
    return await _find(rollups, {"_id": {"$in": ids}}) if ids else []


async def parts(rollups: Collection, metric: str | None, window: Window) -> list[Part]:
    """Everything ``metric`` (every metric when None) counted inside ``window``, each event once."""
    start, end = _millisecond(window.start), _millisecond(window.end)
    try:
        if metric is None:
            found = await _find(rollups, months(None, start, end))
            found += await _cut(rollups, sorted({d["metric"] for d in found}), start, end)
        else:
            whole, cut = await asyncio.gather(
                _find(rollups, months(metric, start, end)),
                _cut(rollups, [metric], start, end),
            )
            found = whole + cut
    except PyMongoError as error:
        raise ServiceUnavailable("The metrics store is unavailable") from error
    # A month of 1.3.0's layout (the upgrade converts its events and removes it) is passed over:
    # its events are counted once, from the new documents, when the upgrade has recorded them.
    # The cut documents are found by `_id`s that no document of that layout has.
    return [
        part
        for document in found
        if not old_layout(document)
        for part in _parts(document, start, end)
    ]


def _sums(parts: list[Part], key: Any) -> dict[Any, list[int | float]]:
    """Per key: [sum, events]."""
    sums: dict[Any, list[int | float]] = {}
    for part in parts:
        total = sums.setdefault(key(part), [0, 0])
        total[0] += part.total
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

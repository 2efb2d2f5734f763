"""The aggregation pipelines over the events collection (the counters' repository).

Every pipeline starts with ``$match`` on ``metric`` (and ``date`` when a window is given), which
the ``metric_date_label_value`` index serves; ``label``/``value`` come from the same index.
"""

from datetime import datetime
from typing import Any

from pymongo.errors import PyMongoError

from metrics.counters.models import Interval, LabelCount, MetricName, Window
from metrics.db import Collection
from metrics.errors import ServiceUnavailable

NO_LABEL = "total"
MAX_QUERY_MS = 30_000


def _window(window: Window) -> dict[str, Any]:
    """``$match`` on ``date``: ``start`` ≤ date < ``end``, either bound open."""
    bounds: dict[str, datetime] = {}
    if window.start:
        bounds["$gte"] = window.start
    if window.end:
        # Always an exclusive upper bound: SecantusDB's index scan drops `$lte` equality.
        bounds["$lt"] = window.end
    return {"date": bounds} if bounds else {}


def _label() -> dict[str, Any]:
    return {"$ifNull": ["$label", NO_LABEL]}


async def _aggregate(events: Collection, pipeline: list[dict[str, Any]]) -> list[dict[str, Any]]:
    try:
        cursor = await events.aggregate(pipeline, maxTimeMS=MAX_QUERY_MS)
        return await cursor.to_list()
    except PyMongoError as error:
        raise ServiceUnavailable("The metrics store is unavailable") from error


async def counts_by_label(events: Collection, name: str, window: Window) -> list[LabelCount]:
    """``[{label, count}]``: the sum of ``value`` per label, the largest first."""
    rows = await _aggregate(
        events,
        [
            {"$match": {"metric": name, **_window(window)}},
            {"$group": {"_id": _label(), "count": {"$sum": "$value"}}},
            {"$sort": {"count": -1, "_id": 1}},
        ],
    )
    return [LabelCount(label=row["_id"], count=row["count"]) for row in rows]


async def series(events: Collection, name: str, window: Window, unit: Interval) -> list[LabelCount]:
    """``[{label, date, count}]`` per UTC day, ISO week (from Monday) or month."""
    bucket = {"$dateTrunc": {"date": "$date", "unit": unit, "timezone": "UTC"}}
    if unit == "week":
        bucket["$dateTrunc"]["startOfWeek"] = "monday"
    rows = await _aggregate(
        events,
        [
            {"$match": {"metric": name, **_window(window)}},
            {
                "$group": {
                    "_id": {"date": bucket, "label": _label()},
                    "count": {"$sum": "$value"},
                }
            },
            {"$sort": {"_id.date": 1, "count": -1, "_id.label": 1}},
        ],
    )
    return [
        LabelCount(
            label=row["_id"]["label"],
            date=row["_id"]["date"].date().isoformat(),
            count=row["count"],
        )
        for row in rows
    ]


async def metric_names(events: Collection, window: Window) -> list[MetricName]:
    """Every metric name stored, with the sum of its values and its number of events."""
    rows = await _aggregate(
        events,
        [
            {"$match": _window(window)},
            {"$group": {"_id": "$metric", "count": {"$sum": "$value"}, "events": {"$sum": 1}}},
            {"$sort": {"_id": 1}},
        ],
    )
    return [MetricName(name=row["_id"], count=row["count"], events=row["events"]) for row in rows]

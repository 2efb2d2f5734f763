"""Query parameters (validated here: bad input is a 400) and the aggregation pipelines.

Every pipeline starts with ``$match`` on ``metric`` (and ``date`` when a window is given), which
the ``metric_date_label_value`` index serves; ``label``/``value`` come from the same index.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal

from litestar.exceptions import ValidationException
from pymongo.errors import PyMongoError

from metrics.errors import ServiceUnavailable
from metrics.events import METRIC_NAME
from metrics.store import Collection

Interval = Literal["day", "week", "month"]
INTERVALS: tuple[Interval, ...] = ("day", "week", "month")
NO_LABEL = "total"
MAX_QUERY_MS = 30_000
ONE_MS = timedelta(milliseconds=1)


def metric_name(name: str) -> str:
    if not METRIC_NAME.match(name):
        raise ValidationException("name must be 1-100 characters of [A-Za-z0-9_.:-]")
    return name


def interval(value: str | None) -> Interval | None:
    if value is None:
        return None
    for known in INTERVALS:
        if value == known:
            return known
    raise ValidationException("interval must be one of day, week, month")


def _instant(parameter: str, text: str, end: bool) -> tuple[datetime, bool]:
    """A date (``2026-11-28``) or a date-time (naive = UTC). Returns (instant, inclusive)."""
    try:
        if len(text) == 10:
            start = datetime.combine(date.fromisoformat(text), time(), UTC)
            # A plain `to` date covers that whole day.
            return (start + timedelta(days=1), False) if end else (start, True)
        moment = datetime.fromisoformat(text)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return moment.astimezone(UTC), True
    except (ValueError, OverflowError) as error:  # OverflowError: beyond year 1..9999 in UTC
        raise ValidationException(
            f"{parameter} must be an ISO-8601 date or date-time, e.g. 2026-11-28"
        ) from error


@dataclass(frozen=True)
class Window:
    """``start`` ≤ date < ``end`` (either may be open)."""

    start: datetime | None = None
    end: datetime | None = None

    @classmethod
    def parse(cls, date_from: str | None, date_to: str | None) -> "Window":
        """``from`` and ``to`` are inclusive; a plain ``to`` date includes its whole day."""
        start = _instant("from", date_from, end=False)[0] if date_from else None
        end = None
        if date_to:
            end, inclusive = _instant("to", date_to, end=True)
            if inclusive:
                # Stored dates have millisecond precision: `≤ t` is `< t + 1 ms` (t in whole ms).
                end = end.replace(microsecond=end.microsecond // 1000 * 1000) + ONE_MS
        if start and end and end <= start:
            raise ValidationException("from must not be after to")
        return cls(start, end)

    def match(self) -> dict[str, Any]:
        bounds: dict[str, datetime] = {}
        if self.start:
            bounds["$gte"] = self.start
        if self.end:
            # Always an exclusive upper bound: SecantusDB's index scan drops `$lte` equality.
            bounds["$lt"] = self.end
        return {"date": bounds} if bounds else {}


def _label() -> dict[str, Any]:
    return {"$ifNull": ["$label", NO_LABEL]}


async def _aggregate(events: Collection, pipeline: list[dict[str, Any]]) -> list[dict[str, Any]]:
    try:
        cursor = await events.aggregate(pipeline, maxTimeMS=MAX_QUERY_MS)
        return await cursor.to_list()
    except PyMongoError as error:
        raise ServiceUnavailable("The metrics store is unavailable") from error


async def counts_by_label(events: Collection, name: str, window: Window) -> list[dict[str, Any]]:
    """``[{label, count}]``: the sum of ``value`` per label, the largest first."""
    rows = await _aggregate(
        events,
        [
            {"$match": {"metric": name, **window.match()}},
            {"$group": {"_id": _label(), "count": {"$sum": "$value"}}},
            {"$sort": {"count": -1, "_id": 1}},
        ],
    )
    return [{"label": row["_id"], "count": row["count"]} for row in rows]


async def series(
    events: Collection, name: str, window: Window, unit: Interval
) -> list[dict[str, Any]]:
    """``[{label, date, count}]`` per UTC day, ISO week (from Monday) or month."""
    bucket = {"$dateTrunc": {"date": "$date", "unit": unit, "timezone": "UTC"}}
    if unit == "week":
        bucket["$dateTrunc"]["startOfWeek"] = "monday"
    rows = await _aggregate(
        events,
        [
            {"$match": {"metric": name, **window.match()}},
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
        {
            "label": row["_id"]["label"],
            "date": row["_id"]["date"].date().isoformat(),
            "count": row["count"],
        }
        for row in rows
    ]


async def metric_names(events: Collection, window: Window) -> list[dict[str, Any]]:
    """Every metric name stored, with the sum of its values and its number of events."""
    rows = await _aggregate(
        events,
        [
            {"$match": window.match()},
            {"$group": {"_id": "$metric", "count": {"$sum": "$value"}, "events": {"$sum": 1}}},
            {"$sort": {"_id": 1}},
        ],
    )
    return [{"name": row["_id"], "count": row["count"], "events": row["events"]} for row in rows]

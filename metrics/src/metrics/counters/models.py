"""The counters' query parameters (parsed here: bad input is a 400) and their responses."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal

from litestar.exceptions import ValidationException
from pydantic import BaseModel

from metrics.events import METRIC_NAME

Interval = Literal["day", "week", "month"]
INTERVALS: tuple[Interval, ...] = ("day", "week", "month")
ONE_MS = timedelta(milliseconds=1)


def parse_metric_name(name: str) -> str:
    if not METRIC_NAME.match(name):
        raise ValidationException("name must be 1-100 characters of [A-Za-z0-9_.:-]")
    return name


def parse_interval(value: str | None) -> Interval | None:
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


class LabelCount(BaseModel):
    label: str
    count: int | float


class SeriesPoint(BaseModel):
    label: str
    date: str
    count: int | float


class MetricName(BaseModel):
    name: str
    count: int | float
    events: int

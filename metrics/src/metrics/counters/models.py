"""The counters' query parameters (parsed here: bad input is a 400) and their responses.

The patterns below are both what the code checks and what the OpenAPI states (`schema_extra`
on the routes' parameters), so the published contract is the one enforced. The code checks them
itself, rather than through Litestar's validation, to keep its own 400 wording. Every character
class is spelled out (`[0-9]`, not `\\d`, which in Python also matches other scripts' digits)."""

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal, NotRequired, TypedDict

from litestar.exceptions import ValidationException
from litestar.openapi.spec.enums import OpenAPIType

from metrics.events import METRIC_NAME, METRIC_PATTERN

Interval = Literal["day", "week", "month"]
INTERVALS: tuple[Interval, ...] = ("day", "week", "month")
ONE_MS = timedelta(milliseconds=1)

# A calendar date from 1000-01-01 to 9998-12-31: the month's real length, 29 February in leap
# years only. The last year is 9998 so that every bound (a whole `to` day, an offset, the
# millisecond added to an inclusive `to`) stays within what Python's dates can hold.
_YEAR = r"(?:[1-8][0-9]{3}|9[0-8][0-9]{2}|99[0-8][0-9]|999[0-8])"
_MONTH_DAY = (
    r"(?:(?:0[1-9]|1[0-2])-(?:0[1-9]|1[0-9]|2[0-8])"
    r"|(?:0[13-9]|1[0-2])-(?:29|30)"
    r"|(?:0[13578]|1[02])-31)"
)
_LEAP_DAY = r"(?:[1-9][0-9](?:0[48]|[2468][048]|[13579][26])|(?:[2468][048]|[13579][26])00)-02-29"
DATE_PATTERN = rf"(?:{_YEAR}-{_MONTH_DAY}|{_LEAP_DAY})"
# HH:MM, then optional seconds with up to 9 fraction digits (stored dates keep milliseconds),
# then Z, ±HH:MM or nothing (UTC).
TIME_PATTERN = (
    r"(?:[01][0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9](?:\.[0-9]{1,9})?)?"
    r"(?:Z|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])?"
)
_DATE = re.compile(DATE_PATTERN)
_DATE_TIME = re.compile(rf"{DATE_PATTERN}T{TIME_PATTERN}")
# What `from` and `to` accept: a date, a date-time, or nothing (an empty value is no bound).
INSTANT_PATTERN = rf"^(?:{DATE_PATTERN}(?:T{TIME_PATTERN})?)?$"
NAME_PATTERN = rf"^{METRIC_PATTERN}$"


def query_string(**constraints: Any) -> dict[str, Any]:
    """`schema_extra` for an optional query parameter: a string with these constraints, not
    Litestar's `oneOf [string, null]` (a query value is never JSON null)."""
    return {"one_of": None, "type": OpenAPIType.STRING, **constraints}


def parse_metric_name(name: str) -> str:
    if not METRIC_NAME.fullmatch(name):
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
        if _DATE.fullmatch(text):
            start = datetime.combine(date.fromisoformat(text), time(), UTC)
            # A plain `to` date covers that whole day.
            return (start + timedelta(days=1), False) if end else (start, True)
        if not _DATE_TIME.fullmatch(text):
            raise ValueError(text)
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


class LabelCount(TypedDict):
    """One label's sum; with ``interval``, one label's sum in one time bucket."""

    label: str
    date: NotRequired[str]  # with `interval` only: the bucket's first day, YYYY-MM-DD (UTC)
    count: float  # the sum of the events' values: an integer when they all are


class MetricName(TypedDict):
    name: str
    count: float
    events: int

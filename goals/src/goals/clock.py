"""The clock every timestamp and window comes from; tests inject one they control."""

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)


def earliest_today(now: datetime) -> date:
    """The calendar date where it is earliest on Earth (UTC-12, "anywhere on Earth").

    A deadline day is still open while it is that day anywhere, so a user in any time zone can
    pick their own "today", and a goal expires only once its last day is over everywhere.
    """
    return (now.astimezone(UTC) - timedelta(hours=12)).date()

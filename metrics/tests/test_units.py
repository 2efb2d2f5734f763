"""Pure functions, no I/O: the counters' parameter parsing (windows, buckets, names) and the
``$match`` a window becomes."""

from datetime import UTC, datetime, timedelta

import pytest
from litestar.exceptions import ValidationException

from metrics.counters.models import Window, parse_interval, parse_metric_name
from metrics.counters.repository import _window

MS = timedelta(milliseconds=1)


def test_a_plain_to_date_includes_its_whole_day() -> None:
    window = Window.parse("2026-11-01", "2026-11-28")
    assert window == Window(datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 11, 29, tzinfo=UTC))


def test_a_to_date_time_is_inclusive_to_the_millisecond() -> None:
    window = Window.parse(None, "2026-11-28T10:00:00.123456Z")
    assert window.start is None
    assert window.end == datetime(2026, 11, 28, 10, 0, 0, 123000, tzinfo=UTC) + MS


def test_naive_date_times_are_utc_and_offsets_are_honoured() -> None:
    assert Window.parse("2026-11-28T10:00:00", None).start == datetime(2026, 11, 28, 10, tzinfo=UTC)
    assert Window.parse("2026-11-28T10:00:00-03:00", None).start == datetime(
        2026, 11, 28, 13, tzinfo=UTC
    )


def test_an_open_window_matches_every_date() -> None:
    assert Window.parse(None, None) == Window()
    assert _window(Window()) == {}


def test_a_window_matches_with_an_exclusive_upper_bound() -> None:
    start, end = datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 11, 2, tzinfo=UTC)
    assert _window(Window(start, end)) == {"date": {"$gte": start, "$lt": end}}
    assert _window(Window(None, end)) == {"date": {"$lt": end}}


@pytest.mark.parametrize(
    ("date_from", "date_to", "detail"),
    [
        ("soon", None, "from must be an ISO-8601 date"),
        (None, "2026-13-01", "to must be an ISO-8601 date"),
        ("9999-12-31T23:59:59-01:00", None, "from must be an ISO-8601 date"),
        ("2026-11-28", "2026-11-27", "from must not be after to"),
        ("2026-11-28T10:00:00Z", "2026-11-28T09:59:59Z", "from must not be after to"),
    ],
)
def test_bad_windows_are_a_validation_error(
    date_from: str | None, date_to: str | None, detail: str
) -> None:
    with pytest.raises(ValidationException, match=detail):
        Window.parse(date_from, date_to)


def test_a_one_day_window_is_not_empty() -> None:
    window = Window.parse("2026-11-28", "2026-11-28")
    assert window.end is not None and window.start is not None
    assert window.end - window.start == timedelta(days=1)


@pytest.mark.parametrize("unit", ["day", "week", "month"])
def test_known_intervals_parse(unit: str) -> None:
    assert parse_interval(unit) == unit


def test_no_interval_means_no_buckets() -> None:
    assert parse_interval(None) is None


@pytest.mark.parametrize("unit", ["year", "Day", "", "days"])
def test_unknown_intervals_are_a_validation_error(unit: str) -> None:
    with pytest.raises(ValidationException, match="interval must be one of day, week, month"):
        parse_interval(unit)


@pytest.mark.parametrize("name", ["user_login_count", "a", "m.x:y-z", "m" * 100])
def test_metric_names_within_the_contract_parse(name: str) -> None:
    assert parse_metric_name(name) == name


@pytest.mark.parametrize("name", ["", "user login", "m" * 101, "métrica"])
def test_metric_names_outside_the_contract_are_a_validation_error(name: str) -> None:
    with pytest.raises(ValidationException, match="name must be 1-100 characters"):
        parse_metric_name(name)

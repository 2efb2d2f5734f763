"""Pure functions, no I/O: the counters' parameter parsing (windows, buckets, names), the
rollups' periods and keys, and the queries a window becomes; how the consumer splits a batch and
what a dead letter carries; the bound on closing a client."""

import asyncio
import json
import logging
from datetime import UTC, datetime, timedelta

import jsonschema_rs
import pytest
from litestar.exceptions import ValidationException

from metrics.consumer.worker import dead_letter, split
from metrics.counters.models import (
    INSTANT_PATTERN,
    NAME_PATTERN,
    Window,
    parse_interval,
    parse_metric_name,
)
from metrics.counters.repository import bucket, cuts, months
from metrics.db import close_bounded
from metrics.rollups import DAY, HOUR, MINUTE, MONTH, SECOND, Key, label_key, label_of, storable
from tests.helpers import EVENT_ID, entry

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


def test_an_open_window_reads_every_month_and_cuts_nothing() -> None:
    assert Window.parse(None, None) == Window()
    assert months("m", None, None) == {"metric": "m", "lv": "month"}
    assert months(None, None, None) == {"lv": "month"}
    assert cuts(None, None) == []


def test_a_window_reads_the_months_it_meets_with_an_exclusive_upper_bound() -> None:
    start, end = datetime(2026, 11, 3, 10, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC)
    month = datetime(2026, 11, 1, tzinfo=UTC)
    assert months("m", start, end) == {
        "metric": "m",
        "lv": "month",
        "t": {"$gte": month, "$lt": end},
    }
    assert months("m", None, end) == {"metric": "m", "lv": "month", "t": {"$lt": end}}


def test_only_the_periods_an_end_falls_inside_of_are_cut() -> None:
    on_a_day = datetime(2026, 11, 3, tzinfo=UTC)
    assert cuts(on_a_day, on_a_day + timedelta(days=2)) == []
    on_a_minute = datetime(2026, 11, 3, 10, 7, tzinfo=UTC)
    assert cuts(on_a_minute, None) == [
        (DAY, on_a_day),
        (HOUR, datetime(2026, 11, 3, 10, tzinfo=UTC)),
    ]
    inside = datetime(2026, 11, 3, 10, 7, 30, 5000, tzinfo=UTC)
    assert cuts(None, inside) == [
        (DAY, on_a_day),
        (HOUR, datetime(2026, 11, 3, 10, tzinfo=UTC)),
        (MINUTE, on_a_minute),
        (SECOND, datetime(2026, 11, 3, 10, 7, 30, tzinfo=UTC)),
    ]


def test_periods_slots_and_keys() -> None:
    moment = datetime(2026, 12, 31, 23, 59, 59, 999000, tzinfo=UTC)
    starts = [level.start(moment) for level in (MINUTE, HOUR, DAY, MONTH)]
    assert starts == [
        datetime(2026, 12, 31, 23, 59, tzinfo=UTC),
        datetime(2026, 12, 31, 23, tzinfo=UTC),
        datetime(2026, 12, 31, tzinfo=UTC),
        datetime(2026, 12, 1, tzinfo=UTC),
    ]
    assert MONTH.end(starts[3]) == datetime(2027, 1, 1, tzinfo=UTC)  # across a year
    assert MONTH.end(datetime(2028, 2, 1, tzinfo=UTC)) == datetime(2028, 3, 1, tzinfo=UTC)
    assert [HOUR.slot(starts[0]), DAY.slot(starts[1]), MONTH.slot(starts[2])] == ["59", "23", "31"]
    assert HOUR.slot_start(starts[1], "59") == starts[0]
    assert DAY.slot_start(starts[2], "23") == starts[1]
    assert MONTH.slot_start(starts[3], "31") == starts[2]
    assert MINUTE.slot(moment) == "59" and MINUTE.slot_start(starts[0], "59") == moment.replace(
        microsecond=0
    )
    key = Key(MINUTE, "user_login_count", starts[0])
    assert key.id == "minute|user_login_count|2026-12-31T23:59"
    assert key.parent().parent().parent() == Key(MONTH, "user_login_count", starts[3])
    second = Key(SECOND, "user_login_count", moment.replace(microsecond=0))
    assert second.id == "second|user_login_count|2026-12-31T23:59:59"
    assert second.parent() == key


@pytest.mark.parametrize("label", [None, "using_idp", "a.b", "$where", "São Paulo", "x" * 200])
def test_any_label_is_a_safe_field_name_that_reads_back(label: str | None) -> None:
    key = label_key(label)
    assert "." not in key and not key.startswith("$") and key
    assert label_of(key) == label


def test_buckets_start_on_the_day_the_monday_or_the_first() -> None:
    sunday = datetime(2026, 11, 1, 23, 59, tzinfo=UTC)
    assert bucket(sunday, "day") == datetime(2026, 11, 1, tzinfo=UTC)
    assert bucket(sunday, "week") == datetime(2026, 10, 26, tzinfo=UTC)
    assert bucket(sunday + timedelta(minutes=1), "week") == datetime(2026, 11, 2, tzinfo=UTC)
    assert bucket(sunday, "month") == datetime(2026, 11, 1, tzinfo=UTC)


def test_a_sum_beyond_64_bits_is_stored_as_a_double() -> None:
    assert storable(2**63 - 1) == 2**63 - 1 and isinstance(storable(2**63), float)
    assert storable(-(2**63)) == -(2**63) and storable(0.5) == 0.5


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


def published(pattern: str, text: str) -> bool:
    """What a JSON Schema validator (the one schemathesis uses) says of the published pattern:
    ECMA-262 semantics, where `$` is the end of the text, never before a final newline."""
    return bool(jsonschema_rs.validator_for({"type": "string", "pattern": pattern}).is_valid(text))


@pytest.mark.parametrize(
    "text",
    [
        "1000-01-01",
        "9998-12-31",
        "2024-02-29",
        "2000-02-29",
        "2026-11-28T10:00",
        "2026-11-28T10:00Z",
        "2026-11-28T10:00:00.5-03:00",
        "2026-11-28T23:59:59.123456789+23:59",
    ],
)
def test_bounds_within_the_published_pattern_parse(text: str) -> None:
    """The pattern the OpenAPI states for `from`/`to` and what the code accepts are one."""
    assert published(INSTANT_PATTERN, text)
    assert Window.parse(text, None).start is not None
    assert Window.parse(None, text).end is not None


@pytest.mark.parametrize(
    "text",
    [
        "0999-12-31",  # before the year 1000
        "9999-01-01",  # the year 9999: its last day would end beyond what a date holds
        "9999-12-31T23:59:59.999",  # was a 500: the millisecond added to `to` overflowed
        "2026-02-29",  # not a leap year
        "1900-02-29",  # a century, not a leap year
        "2026-04-31",
        "2026-W48-1",  # other ISO-8601 spellings are not in the published pattern
        "20261128",
        "2026-11-28 10:00",
        "2026-11-28T10",
        "2026-11-28T10:00:00,5",
        "2026-11-28T10:00+0100",
        "2026-11-28T10:00:00.1234567890",
        "٢٠٢٦-11-28",  # other scripts' digits
        "2026-11-28\n",
        "2026-11-28T10:00\x00",
    ],
)
def test_bounds_outside_the_published_pattern_are_a_validation_error(text: str) -> None:
    assert not published(INSTANT_PATTERN, text)
    with pytest.raises(ValidationException, match="from must be an ISO-8601"):
        Window.parse(text, None)
    with pytest.raises(ValidationException, match="to must be an ISO-8601"):
        Window.parse(None, text)


def test_an_empty_bound_is_no_bound() -> None:
    assert published(INSTANT_PATTERN, "")
    assert Window.parse("", "") == Window()


@pytest.mark.parametrize("name", ["user_login_count", "m" * 100, "", "m\n", "m" * 101, "a b"])
def test_the_published_name_pattern_is_the_one_checked(name: str) -> None:
    try:
        checked = parse_metric_name(name) == name
    except ValidationException:
        checked = False
    assert published(NAME_PATTERN, name) == checked


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


@pytest.mark.parametrize("name", ["", "user login", "m" * 101, "métrica", "m\n", "m\x00"])
def test_metric_names_outside_the_contract_are_a_validation_error(name: str) -> None:
    with pytest.raises(ValidationException, match="name must be 1-100 characters"):
        parse_metric_name(name)


NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def test_a_batch_splits_into_events_and_dead_letters_in_order() -> None:
    other = "0b7c9c1e-6f0e-4d5e-9a8b-2f7f3c1d4e5a"
    entries = [
        (b"1-0", entry()),
        (b"2-0", {b"payload": b"{}"}),
        (b"3-0", entry(id=other, label=None)),
        (b"4-0", entry(value="1")),
    ]
    events, dead = split(entries, NOW)
    assert [(e.id, e.label) for e in events] == [(EVENT_ID, "using_email_password"), (other, None)]
    assert [(entry_id, reason.split(":")[0]) for entry_id, _, reason in dead] == [
        (b"2-0", "missing field"),
        (b"4-0", "wrong type"),
    ]
    assert split([], NOW) == ([], [])


def test_a_dead_letter_carries_the_raw_event_for_a_replay() -> None:
    fields = entry(value="1")
    letter = dead_letter((b"4-0", fields, "wrong type"), "pod-a", "2026-11-28T12:00:00.000+00:00")
    assert letter == {
        "reason": "wrong type",
        "stream_id": b"4-0",
        "consumer": "pod-a",
        "failed_at": "2026-11-28T12:00:00.000+00:00",
        "event": fields[b"event"],
    }


def test_a_dead_letter_keeps_the_other_fields_as_json() -> None:
    fields = {b"payload": b"{}", b"\xff": b"x"}
    letter = dead_letter((b"2-0", fields, "missing field"), "pod-a", "t")
    assert "event" not in letter
    assert json.loads(letter["fields"]) == {"payload": "{}", "\ufffd": "x"}
    assert "fields" not in dead_letter((b"3-0", {b"event": b"{}"}, "bad JSON"), "pod-a", "t")


async def test_a_client_that_never_closes_is_left_behind(caplog: pytest.LogCaptureFixture) -> None:
    never = asyncio.get_running_loop().create_future()
    with caplog.at_level(logging.WARNING, logger="metrics.db"):
        await close_bounded(never, "stuck client", seconds=0)
    assert never.cancelled()
    assert "stuck client did not close within 0 s" in caplog.text
    done = asyncio.get_running_loop().create_future()
    done.set_result(None)
    await close_bounded(done, "closed client", seconds=0)

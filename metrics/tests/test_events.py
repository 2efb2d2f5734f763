"""The event contract: what parses, and every kind of malformed entry with its reason."""

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from metrics.events import Malformed, event_json, parse_entry

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
EVENT_ID = "7d3c5a4e-2b1f-4c8e-9a6d-0f1e2d3c4b5a"


def entry(**changes: Any) -> dict[bytes, bytes]:
    data: dict[str, Any] = {
        "id": EVENT_ID,
        "metric": "user_login_count",
        "value": 1,
        "label": "using_email_password",
        "date": "2026-11-28T11:59:00.123Z",
        "source": "users",
    }
    data.update(changes)
    return {b"event": json.dumps({k: v for k, v in data.items() if v is not ...}).encode()}


def test_a_well_formed_event_parses_into_utc() -> None:
    event = parse_entry(entry(), NOW)
    assert event.id == EVENT_ID
    assert (event.metric, event.value, event.label, event.source) == (
        "user_login_count",
        1,
        "using_email_password",
        "users",
    )
    assert event.date == datetime(2026, 11, 28, 11, 59, 0, 123000, tzinfo=UTC)


def test_normalisation_offsets_labels_ids_and_extra_fields() -> None:
    event = parse_entry(
        entry(
            id=EVENT_ID.upper(),
            date="2026-11-28T08:00:00-03:00",
            label="  Palermo  ",
            value=2.5,
            extra="ignored",
        ),
        NOW,
    )
    assert event.id == EVENT_ID  # canonical lower-case UUID: one id, one document
    assert event.date == datetime(2026, 11, 28, 11, 0, tzinfo=UTC)
    assert event.label == "Palermo"
    assert event.value == 2.5
    assert parse_entry(entry(label=...), NOW).label is None
    assert parse_entry(entry(label=None), NOW).label is None
    assert parse_entry(entry(label="   "), NOW).label is None


def test_a_label_with_an_apostrophe_is_fine() -> None:
    """The 2023 consumer died on this one."""
    assert parse_entry(entry(label="O'Higgins"), NOW).label == "O'Higgins"


def test_event_json_builds_what_the_contract_describes() -> None:
    data = json.loads(event_json("m", label="x", date=NOW))
    assert data["date"] == "2026-11-28T12:00:00.000Z"
    assert uuid.UUID(data["id"]) and data["value"] == 1 and data["source"] == "metrics"
    assert "label" not in json.loads(event_json("m"))


MALFORMED: list[tuple[str, dict[bytes, bytes], str]] = [
    ("no event field", {b"payload": b"{}"}, "missing field: the entry has no 'event' field"),
    ("deleted entry", {}, "deleted: the entry left the stream before it was processed"),
    ("not utf-8", {b"event": b"\xff\xfe{"}, "bad encoding"),
    ("not json", {b"event": b"{'metric': 'python repr'}"}, "bad JSON"),
    ("truncated json", {b"event": b'{"id": "'}, "bad JSON"),
    ("json array", {b"event": b"[1, 2]"}, "bad JSON: the event is not a JSON object"),
    ("json string", {b"event": b'"user_login_count"'}, "bad JSON: the event is not"),
    ("absurd nesting", {b"event": b"[" * 100_000}, "bad JSON"),
    ("missing id", entry(id=...), "missing field: id"),
    ("missing metric and date", entry(metric=..., date=...), "missing field: metric, date"),
    ("null value", entry(value=None), "missing field: value"),
    ("missing source", entry(source=...), "missing field: source"),
    ("id not a uuid", entry(id="42"), "invalid value: 'id' is not a UUID"),
    ("id a number", entry(id=42), "wrong type: 'id' must be a string"),
    ("metric a number", entry(metric=7), "wrong type: 'metric' must be a string"),
    ("metric with spaces", entry(metric="user login"), "invalid value: 'metric'"),
    ("metric too long", entry(metric="m" * 101), "invalid value: 'metric'"),
    ("value as a string", entry(value="1"), "wrong type: 'value' must be a number"),
    ("value a boolean", entry(value=True), "wrong type: 'value' must be a number"),
    (
        "value infinite",
        {b"event": entry()[b"event"].replace(b'"value": 1', b'"value": Infinity')},
        "invalid value: 'value'",
    ),
    ("value huge", entry(value=10**13), "invalid value: 'value'"),
    ("label a number", entry(label=3), "wrong type: 'label' must be a string or null"),
    ("label too long", entry(label="x" * 201), "invalid value: 'label'"),
    ("source empty", entry(source=" "), "invalid value: 'source'"),
    ("date a number", entry(date=1700000000), "wrong type: 'date' must be a string"),
    ("date not iso", entry(date="28/11/2026 11:59:00"), "invalid date: 'date' is not ISO-8601"),
    ("date without offset", entry(date="2026-11-28T11:59:00"), "invalid date: 'date' has no"),
    ("date 1970", entry(date="1970-01-01T00:00:00Z"), "absurd date"),
    ("date next year", entry(date="2027-11-28T00:00:00Z"), "absurd date"),
]


@pytest.mark.parametrize(
    ("fields", "reason"), [(f, r) for _, f, r in MALFORMED], ids=[m[0] for m in MALFORMED]
)
def test_malformed_entries_are_rejected_with_a_reason(
    fields: dict[bytes, bytes], reason: str
) -> None:
    with pytest.raises(Malformed) as error:
        parse_entry(fields, NOW)
    assert str(error.value).startswith(reason)


def test_the_future_allows_a_little_clock_skew() -> None:
    ahead = (NOW + timedelta(hours=2)).isoformat()
    assert parse_entry(entry(date=ahead), NOW).date == NOW + timedelta(hours=2)

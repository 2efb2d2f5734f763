"""The event contract: what parses, and every kind of malformed entry with its reason."""

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from metrics.events import Malformed, event_json, parse_entry
from tests.helpers import EVENT_ID, MALFORMED, entry

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


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

"""The event contract producers follow, and the strict parsing of one stream entry.

A stream entry carries one field, ``event``, whose value is the JSON object
``{"id": uuid, "metric": name, "value": number, "label": optional string,
"date": ISO-8601 with a UTC offset, "source": service}``. Anything else is malformed: the consumer
dead-letters it with the reason returned here and never crashes on it.
"""

import json
import math
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

EVENT_FIELD = b"event"
# Whole strings only (`fullmatch`): `$` would also match before a trailing newline. The API's
# OpenAPI states the same pattern for `name` (anchored, as JSON Schema patterns are searched).
METRIC_PATTERN = r"[A-Za-z0-9_.:-]{1,100}"
METRIC_NAME = re.compile(METRIC_PATTERN)
MAX_LABEL = 200
MAX_SOURCE = 50
MAX_ABS_VALUE = 1e12
EARLIEST = datetime(2020, 1, 1, tzinfo=UTC)
# Producers' clocks may run a little ahead; further in the future is a bug.
MAX_FUTURE = timedelta(days=1)
REQUIRED = ("id", "metric", "value", "date", "source")


class Malformed(ValueError):
    """The entry breaks the contract; the message is the dead-letter reason."""


@dataclass(frozen=True)
class Event:
    id: str
    metric: str
    value: int | float
    label: str | None
    date: datetime
    source: str

    def document(self) -> dict[str, Any]:
        """The stored MongoDB document, less ``_id`` (the event id, unique by construction)."""
        return {
            "metric": self.metric,
            "value": self.value,
            "label": self.label,
            "date": self.date,
            "source": self.source,
        }


def _string(data: dict[str, Any], key: str) -> str:
    value = data[key]
    if not isinstance(value, str):
        raise Malformed(f"wrong type: '{key}' must be a string")
    return value


def _id(data: dict[str, Any]) -> str:
    text = _string(data, "id")
    try:
        return str(uuid.UUID(text))
    except ValueError as error:
        raise Malformed("invalid value: 'id' is not a UUID") from error


def _metric(data: dict[str, Any]) -> str:
    metric = _string(data, "metric")
    if not METRIC_NAME.fullmatch(metric):
        raise Malformed("invalid value: 'metric' must be 1-100 characters of [A-Za-z0-9_.:-]")
    return metric


def _value(data: dict[str, Any]) -> int | float:
    value = data["value"]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise Malformed("wrong type: 'value' must be a number")
    if not math.isfinite(value) or abs(value) > MAX_ABS_VALUE:
        raise Malformed("invalid value: 'value' is not a finite number within ±1e12")
    return value


def _label(data: dict[str, Any]) -> str | None:
    label = data.get("label")
    if label is None:
        return None
    if not isinstance(label, str):
        raise Malformed("wrong type: 'label' must be a string or null")
    label = label.strip()
    if len(label) > MAX_LABEL:
        raise Malformed(f"invalid value: 'label' is longer than {MAX_LABEL} characters")
    return label or None  # an empty label counts under "total", as a missing one


def _date(data: dict[str, Any], now: datetime) -> datetime:
    text = _string(data, "date")
    try:
        date = datetime.fromisoformat(text)
    except ValueError as error:
        raise Malformed("invalid date: 'date' is not ISO-8601") from error
    if date.tzinfo is None:
        raise Malformed("invalid date: 'date' has no UTC offset (send '...Z')")
    date = date.astimezone(UTC)
    if not EARLIEST <= date <= now + MAX_FUTURE:
        raise Malformed(f"absurd date: {text} is before 2020 or more than a day ahead")
    # MongoDB stores milliseconds.
    return date.replace(microsecond=date.microsecond // 1000 * 1000)


def _source(data: dict[str, Any]) -> str:
    source = _string(data, "source").strip()
    if not 1 <= len(source) <= MAX_SOURCE:
        raise Malformed(f"invalid value: 'source' must be 1-{MAX_SOURCE} characters")
    return source


def parse_entry(fields: dict[bytes, bytes], now: datetime | None = None) -> Event:
    """Validate one stream entry's fields; raise :class:`Malformed` with the reason."""
    if not fields:  # XADD needs a field: only a deleted (trimmed) pending entry has none
        raise Malformed("deleted: the entry left the stream before it was processed")
    raw = fields.get(EVENT_FIELD)
    if raw is None:
        raise Malformed("missing field: the entry has no 'event' field")
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as error:
        raise Malformed("bad encoding: 'event' is not UTF-8") from error
    except (ValueError, RecursionError) as error:  # JSONDecodeError, absurd nesting
        raise Malformed(f"bad JSON: {error}") from error
    if not isinstance(data, dict):
        raise Malformed("bad JSON: the event is not a JSON object")
    missing = [key for key in REQUIRED if data.get(key) is None]
    if missing:
        raise Malformed(f"missing field: {', '.join(missing)}")
    return Event(
        id=_id(data),
        metric=_metric(data),
        value=_value(data),
        label=_label(data),
        date=_date(data, now or datetime.now(UTC)),
        source=_source(data),
    )


def event_json(
    metric: str,
    value: int | float = 1,
    label: str | None = None,
    date: datetime | None = None,
    source: str = "metrics",
    event_id: str | None = None,
) -> str:
    """Build a well-formed event (what a producer publishes); used by tests and the bench."""
    data: dict[str, Any] = {
        "id": event_id or str(uuid.uuid4()),
        "metric": metric,
        "value": value,
        "date": (date or datetime.now(UTC))
        .isoformat(timespec="milliseconds")
        .replace("+00:00", "Z"),
        "source": source,
    }
    if label is not None:
        data["label"] = label
    return json.dumps(data)

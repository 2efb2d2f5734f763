"""How the counters are stored (README, "How the counters work"): one collection of rollup
documents, each one metric over one period of one of five levels, its labels inside.

A label is a field name in the documents: its URL-safe base64 (``label_key``; ``~`` for no
label), so that any label is a safe name and reads back exactly.

- A **second** document holds the second's events themselves, by label and id
  (``e: {lk: {id: {d, v, s}}}``: date, value, source), the sum and count of each label
  (``c: {lk: …}``, ``n: {lk: …}``) and the second's count (``N``). The write that adds an event
  to the sums is the write that records its id, and it is refused when the id is already there:
  a redelivered event never counts twice, whatever died when.
- A **minute**, **hour**, **day** or **month** document holds, per second, minute, hour or day
  of its period and per label, a slot (``s: {"05": {lk: {c, n}}}``, or ``{lk: n}`` when the sum
  is the count, as for every counter of ones): a copy of the totals of the document below. A
  slot only moves forward (to a larger ``n``, and ``n`` grows with every change below), so
  copying is idempotent and two consumers copying at once settle on the latest totals.

A read sums the slots of the month documents that lie inside its window and descends, at each
end of the window only, to the day, hour, minute and second documents the window cuts through:
what it reads depends on the window (and on the events of the one second an end cuts), never on
the number of events of the minutes, hours and days around it.
"""

import base64
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from itertools import pairwise
from typing import Any

from metrics.events import Event

# Stored numbers are 64-bit: a sum beyond that is kept as a double, as `$sum` would.
INT64 = 2**63
NO_LABEL_KEY = "~"  # not a base64 character
LENGTHS = {
    "second": timedelta(seconds=1),
    "minute": timedelta(minutes=1),
    "hour": timedelta(hours=1),
    "day": timedelta(days=1),
}


def label_key(label: str | None) -> str:
    if label is None:
        return NO_LABEL_KEY
    return base64.urlsafe_b64encode(label.encode()).decode().rstrip("=")


@lru_cache(maxsize=4096)  # the few labels of the few metrics read, decoded once
def label_of(key: str) -> str | None:
    if key == NO_LABEL_KEY:
        return None
    return base64.urlsafe_b64decode(key + "=" * (-len(key) % 4)).decode()


@dataclass(frozen=True)
class Level:
    """A period length, named as the datetime field that counts its periods. ``child`` names
    the level its slots are periods of (None for seconds, the smallest, which hold the events)."""

    name: str
    child: str | None

    def start(self, moment: datetime) -> datetime:
        """The start of the period holding ``moment``."""
        moment = moment.replace(microsecond=0)
        if self.name == "second":
            return moment
        moment = moment.replace(second=0)
        if self.name == "minute":
            return moment
        moment = moment.replace(minute=0)
        if self.name == "hour":
            return moment
        moment = moment.replace(hour=0)
        return moment if self.name == "day" else moment.replace(day=1)

    def end(self, start: datetime) -> datetime:
        if self.name == "month":
            return (start + timedelta(days=32)).replace(day=1)
        return start + LENGTHS[self.name]

    def slot(self, child_start: datetime) -> str:
        """The key, in a document of this level, of the slot of the period below."""
        assert self.child is not None
        return f"{getattr(child_start, self.child):02d}"

    def slot_start(self, start: datetime, slot: str) -> datetime:
        assert self.child is not None
        if self.child == "day":
            return start.replace(day=int(slot))
        return start + LENGTHS[self.child] * int(slot)


SECOND = Level("second", None)
MINUTE = Level("minute", "second")
HOUR = Level("hour", "minute")
DAY = Level("day", "hour")
MONTH = Level("month", "day")
# The stored levels: the events are recorded in the seconds, and each level is copied into the
# next one's slots.
LEVELS = (SECOND, MINUTE, HOUR, DAY, MONTH)
PARENT = dict(pairwise(LEVELS))
CHILD = {MINUTE: SECOND, HOUR: MINUTE, DAY: HOUR, MONTH: DAY}
BY_NAME = {level.name: level for level in LEVELS}


@dataclass(frozen=True)
class Key:
    """One rollup document: a metric over one period."""

    level: Level
    metric: str
    start: datetime

    @property
    def id(self) -> str:
        if self.level is SECOND:
            return f"{self.level.name}|{self.metric}|{self.start:%Y-%m-%dT%H:%M:%S}"
        return f"{self.level.name}|{self.metric}|{self.start:%Y-%m-%dT%H:%M}"

    def fields(self) -> dict[str, Any]:
        return {"lv": self.level.name, "metric": self.metric, "t": self.start}

    def parent(self) -> "Key":
        level = PARENT[self.level]
        return Key(level, self.metric, level.start(self.start))

    @classmethod
    def of(cls, document: dict[str, Any]) -> "Key":
        return cls(BY_NAME[document["lv"]], document["metric"], document["t"])


def old_layout(document: dict[str, Any]) -> bool:
    """A document of 1.3.0's layout, one per metric *and label* (``_id``
    ``<level>|<metric>|<YYYY-MM-DDTHH:MM>|<label>``, with a ``label`` field, null for none), which
    the upgrade (consumer/upgrade.py) converts and removes: no document of this layout has a
    ``label`` field. Reads and the copies upwards pass over them."""
    return "label" in document


def second_key(event: Event) -> Key:
    return Key(SECOND, event.metric, SECOND.start(event.date))


def event_path(event_id: str, event: Event) -> str:
    """Where a second document keeps an event: under its label and id."""
    return f"e.{label_key(event.label)}.{event_id}"


def entry(event: Event) -> dict[str, Any]:
    return {"d": event.date, "v": event.value, "s": event.source}


def storable(total: int | float) -> int | float:
    return float(total) if isinstance(total, int) and not -INT64 <= total < INT64 else total


def sum_of(events: Iterable[Event]) -> int | float:
    return storable(sum(event.value for event in events))


def slot(c: int | float, n: int) -> int | dict[str, int | float]:
    """How a slot above the minutes stores a sum and a count: the count alone when the sum is
    that integer."""
    return n if type(c) is int and c == n else {"c": c, "n": n}


def slot_totals(value: int | dict[str, Any]) -> tuple[int | float, int]:
    return (value, value) if isinstance(value, int) else (value["c"], value["n"])


def totals(document: dict[str, Any]) -> dict[str, tuple[int | float, int]]:
    """A document's sum and event count per label key: its own for a second, its slots' above."""
    if document["lv"] == SECOND.name:
        return {key: (c, document["n"][key]) for key, c in document["c"].items()}
    sums: dict[str, tuple[int | float, int]] = {}
    for labels in document["s"].values():
        for key, value in labels.items():
            c, n = slot_totals(value)
            c0, n0 = sums.get(key, (0, 0))
            sums[key] = (storable(c0 + c), n0 + n)
    return sums


def grouped(events: dict[str, Event], by: Any) -> dict[str, dict[str, Event]]:
    groups: dict[str, dict[str, Event]] = {}
    for event_id, event in events.items():
        groups.setdefault(by(event), {})[event_id] = event
    return groups


def group_by_second(events: Iterable[Event]) -> dict[Key, dict[str, Event]]:
    """The events of each second document, by id (a repeated id counts once: the first)."""
    groups: dict[Key, dict[str, Event]] = {}
    for event in events:
        groups.setdefault(second_key(event), {}).setdefault(event.id, event)
    return groups


def by_label(events: dict[str, Event]) -> dict[str, dict[str, Event]]:
    return grouped(events, lambda event: label_key(event.label))


def documents(events: Iterable[Event]) -> Iterator[dict[str, Any]]:
    """Every rollup document that recording ``events`` into an empty collection leaves, built in
    memory (the benchmark seeds with it; a test checks it against the consumer's writes)."""
    level_documents: dict[Key, dict[str, Any]] = {}
    for key, group in group_by_second(events).items():
        labels = by_label(group).items()
        level_documents[key] = {
            "_id": key.id,
            **key.fields(),
            "e": {label: {i: entry(e) for i, e in those.items()} for label, those in labels},
            "c": {label: sum_of(those.values()) for label, those in labels},
            "n": {label: len(those) for label, those in labels},
            "N": len(group),
        }
    for level in LEVELS[1:]:
        yield from level_documents.values()
        parents: dict[Key, dict[str, Any]] = {}
        for key, child in level_documents.items():
            parent = key.parent()
            slots = parents.setdefault(parent, {"_id": parent.id, **parent.fields(), "s": {}})
            slots["s"][level.slot(key.start)] = {
                label: slot(c, n) for label, (c, n) in totals(child).items()
            }
        level_documents = parents
    yield from level_documents.values()

"""How the counters are stored (README, "How the counters work"): one collection of rollup
documents, each one metric and label over one period of one of four levels.

- A **minute** document holds the minute's events themselves, keyed by their id
  (``e: {id: {d, v, s}}``: date, value, source), with their sum ``c`` and count ``n``. The write
  that adds an event to ``c`` is the write that records its id, and it is refused when the id is
  already there: a redelivered event never counts twice, whatever died when.
- An **hour**, **day** or **month** document holds one slot per minute, hour or day of its period
  (``s: {"05": {c, n}}``): a copy of the totals of the document below. A slot only moves forward
  (to a larger ``n``, and ``n`` grows with every change below), so copying is idempotent and
  two consumers copying at once settle on the latest totals.

A read sums the slots of the month documents that lie inside its window and descends, at each
end of the window only, to the day, hour and minute documents the window cuts through: what it
reads depends on the window, never on the number of events.
"""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Any

from metrics.events import Event

# Stored numbers are 64-bit: a sum beyond that is kept as a double, as `$sum` would.
INT64 = 2**63


@dataclass(frozen=True)
class Level:
    """A period length. ``child`` is the datetime field that numbers the slots of the level
    below (None for minutes, which hold events)."""

    name: str
    child: str | None

    def start(self, moment: datetime) -> datetime:
        """The start of the period holding ``moment``."""
        moment = moment.replace(second=0, microsecond=0)
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
        return start + {"minute": MINUTE_LENGTH, "hour": HOUR_LENGTH, "day": DAY_LENGTH}[self.name]

    def slot(self, child_start: datetime) -> str:
        """The key, in a document of this level, of the slot of the period below."""
        assert self.child is not None
        return f"{getattr(child_start, self.child):02d}"

    def slot_start(self, start: datetime, slot: str) -> datetime:
        value = int(slot)
        if self.child == "day":
            return start.replace(day=value)
        return start + (MINUTE_LENGTH if self.child == "minute" else HOUR_LENGTH) * value


MINUTE_LENGTH, HOUR_LENGTH, DAY_LENGTH = timedelta(minutes=1), timedelta(hours=1), timedelta(days=1)
MINUTE = Level("minute", None)
HOUR = Level("hour", "minute")
DAY = Level("day", "hour")
MONTH = Level("month", "day")
LEVELS = (MINUTE, HOUR, DAY, MONTH)  # each one's documents are copied into the next one's slots
PARENT = dict(pairwise(LEVELS))
BY_NAME = {level.name: level for level in LEVELS}


@dataclass(frozen=True)
class Key:
    """One rollup document: a metric and label (None counts as ``total``) over one period."""

    level: Level
    metric: str
    label: str | None
    start: datetime

    @property
    def id(self) -> str:
        # The label comes last and is never empty (an empty one is None), so this is unique.
        return f"{self.level.name}|{self.metric}|{self.start:%Y-%m-%dT%H:%M}|{self.label or ''}"

    def fields(self) -> dict[str, Any]:
        return {"lv": self.level.name, "metric": self.metric, "label": self.label, "t": self.start}

    def parent(self) -> "Key":
        level = PARENT[self.level]
        return Key(level, self.metric, self.label, level.start(self.start))

    @classmethod
    def of(cls, document: dict[str, Any]) -> "Key":
        return cls(BY_NAME[document["lv"]], document["metric"], document["label"], document["t"])


def minute_key(event: Event) -> Key:
    return Key(MINUTE, event.metric, event.label, MINUTE.start(event.date))


def entry(event: Event) -> dict[str, Any]:
    """An event as its minute document keeps it, under its id."""
    return {"d": event.date, "v": event.value, "s": event.source}


def storable(total: int | float) -> int | float:
    return float(total) if isinstance(total, int) and not -INT64 <= total < INT64 else total


def totals(document: dict[str, Any]) -> tuple[int | float, int]:
    """A document's sum and event count: its own for a minute, its slots' above."""
    if document["lv"] == MINUTE.name:
        return document["c"], document["n"]
    slots = document["s"].values()
    return storable(sum(slot["c"] for slot in slots)), sum(slot["n"] for slot in slots)


def group_by_minute(events: Iterable[Event]) -> dict[Key, dict[str, Event]]:
    """The events of each minute document, by id (a repeated id counts once: the first)."""
    groups: dict[Key, dict[str, Event]] = {}
    for event in events:
        groups.setdefault(minute_key(event), {}).setdefault(event.id, event)
    return groups


def documents(events: Iterable[Event]) -> Iterator[dict[str, Any]]:
    """Every rollup document that recording ``events`` into an empty collection leaves, built in
    memory (the benchmark seeds with it; a test checks it against the consumer's writes)."""
    level_documents: dict[Key, dict[str, Any]] = {}
    for key, group in group_by_minute(events).items():
        values = [event.value for event in group.values()]
        level_documents[key] = {
            "_id": key.id,
            **key.fields(),
            "e": {event_id: entry(event) for event_id, event in group.items()},
            "c": storable(sum(values)),
            "n": len(values),
        }
    for level in LEVELS[1:]:
        yield from level_documents.values()
        parents: dict[Key, dict[str, Any]] = {}
        for key, document in level_documents.items():
            parent = key.parent()
            c, n = totals(document)
            slots = parents.setdefault(parent, {"_id": parent.id, **parent.fields(), "s": {}})
            slots["s"][level.slot(key.start)] = {"c": c, "n": n}
        level_documents = parents
    yield from level_documents.values()

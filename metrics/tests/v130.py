"""The rollups as metrics 1.3.0 wrote them (``git show c2be28d:metrics/src/metrics/rollups.py``),
copied here so that the upgrade's tests build a 1.3.0 store from events exactly as that
release's consumer left it: one document per metric and label over one period of one of four
levels. ``documents`` is 1.3.0's (its tests checked it equal to what its consumer wrote, less the
``dirty`` marks of the minutes not yet copied upwards); the rest is what it needs, unchanged."""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Any

from metrics.events import Event

INT64 = 2**63


@dataclass(frozen=True)
class Level:
    name: str
    child: str | None

    def start(self, moment: datetime) -> datetime:
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
        assert self.child is not None
        return f"{getattr(child_start, self.child):02d}"


MINUTE_LENGTH, HOUR_LENGTH, DAY_LENGTH = timedelta(minutes=1), timedelta(hours=1), timedelta(days=1)
MINUTE = Level("minute", None)
HOUR = Level("hour", "minute")
DAY = Level("day", "hour")
MONTH = Level("month", "day")
LEVELS = (MINUTE, HOUR, DAY, MONTH)
PARENT = dict(pairwise(LEVELS))


@dataclass(frozen=True)
class Key:
    level: Level
    metric: str
    label: str | None
    start: datetime

    @property
    def id(self) -> str:
        return f"{self.level.name}|{self.metric}|{self.start:%Y-%m-%dT%H:%M}|{self.label or ''}"

    def fields(self) -> dict[str, Any]:
        return {"lv": self.level.name, "metric": self.metric, "label": self.label, "t": self.start}

    def parent(self) -> "Key":
        level = PARENT[self.level]
        return Key(level, self.metric, self.label, level.start(self.start))


def minute_key(event: Event) -> Key:
    return Key(MINUTE, event.metric, event.label, MINUTE.start(event.date))


def entry(event: Event) -> dict[str, Any]:
    return {"d": event.date, "v": event.value, "s": event.source}


def storable(total: int | float) -> int | float:
    return float(total) if isinstance(total, int) and not -INT64 <= total < INT64 else total


def totals(document: dict[str, Any]) -> tuple[int | float, int]:
    if document["lv"] == MINUTE.name:
        return document["c"], document["n"]
    slots = document["s"].values()
    return storable(sum(slot["c"] for slot in slots)), sum(slot["n"] for slot in slots)


def group_by_minute(events: Iterable[Event]) -> dict[Key, dict[str, Event]]:
    groups: dict[Key, dict[str, Event]] = {}
    for event in events:
        groups.setdefault(minute_key(event), {}).setdefault(event.id, event)
    return groups


def documents(events: Iterable[Event]) -> Iterator[dict[str, Any]]:
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


def add_events(key: Key, events: dict[str, Event]) -> tuple[dict[str, Any], dict[str, Any]]:
    """1.3.0's upsert of events into a minute document (consumer/repository.py then): what a
    consumer of 1.3.0 still running in a rolling update writes."""
    return (
        {"_id": key.id, **{f"e.{event_id}": {"$exists": False} for event_id in events}},
        {
            "$setOnInsert": key.fields(),
            "$set": {
                **{f"e.{event_id}": entry(event) for event_id, event in events.items()},
                "dirty": True,
            },
            "$inc": {"c": storable(sum(e.value for e in events.values())), "n": len(events)},
        },
    )

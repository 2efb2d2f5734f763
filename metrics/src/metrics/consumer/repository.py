"""The consumer's writes into the rollups (rollups.py), each event counted exactly once.

``record`` (a batch, before its ack): each second document gets its new events in one update that
records their ids, adds their values to its sums and marks the document ``dirty``, refused (a
duplicate-key error on the upsert) when one of the ids is there already; a refused update is
split into what is there and what is not, and the rest written. A replayed batch adds nothing.

``settle`` (every second or so, and when the stream is idle): the dirty second documents'
totals are copied upwards, second → minute → hour → day → month, each slot only forward, and a
document is marked clean only if nothing was added to it since it was read. A crash anywhere
leaves documents dirty for the next pass, by this consumer or another; copies are idempotent, so
passes may overlap. Until a pass has run, a read misses the newest events of the whole seconds,
minutes, hours and days it sums (never counts one twice); the events of the seconds a window cuts
are read directly.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from pymongo import UpdateMany, UpdateOne
from pymongo.errors import BulkWriteError, DuplicateKeyError

from metrics.db import Collection
from metrics.events import Event
from metrics.rollups import (
    LEVELS,
    Key,
    by_label,
    entry,
    event_path,
    group_by_second,
    old_layout,
    slot,
    sum_of,
    totals,
)

DUPLICATE_KEY = 11000
# Dirty second documents copied upwards at a time.
CHUNK = 1000
KEY_FIELDS = ["lv", "metric", "t"]


@dataclass(frozen=True)
class WriteResult:
    stored: int
    duplicates: int


def add_events(key: Key, events: dict[str, Event]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The upsert (filter, update) that records ``events`` (by id) in ``key``'s second document
    and adds them to its sums, unless one of them is there already."""
    paths = {event_path(event_id, event): event for event_id, event in events.items()}
    sums: dict[str, int | float] = {"N": len(events)}
    for label, those in by_label(events).items():
        sums.update({f"c.{label}": sum_of(those.values()), f"n.{label}": len(those)})
    return (
        {"_id": key.id, **{path: {"$exists": False} for path in paths}},
        {
            "$setOnInsert": key.fields(),
            "$set": {**{path: entry(event) for path, event in paths.items()}, "dirty": True},
            "$inc": sums,
        },
    )


def copy_totals(key: Key, document: dict[str, Any]) -> list[UpdateOne]:
    """Copy each label's totals of ``document`` into its slot in ``key`` (its parent), where
    they are newer."""
    slot_path = f"s.{key.level.slot(document['t'])}"
    operations = []
    for label, (c, n) in totals(document).items():
        path = f"{slot_path}.{label}"
        # Older than `n` whichever way the slot is stored (a count, or {c, n}: `$gte` on a
        # number never matches a document), and `$not` also matches a slot not there yet.
        # (Not `$or`: SecantusDB scans the whole collection for it.)
        operations.append(
            UpdateOne(
                {
                    "_id": key.id,
                    path: {"$not": {"$gte": n}},
                    f"{path}.n": {"$not": {"$gte": n}},
                },
                {"$setOnInsert": key.fields(), "$set": {path: slot(c, n)}},
                upsert=True,
            )
        )
    return operations


def _refused(error: BulkWriteError) -> list[int]:
    """The operations refused by the duplicate-key guard; anything else is raised."""
    details = error.details
    if details.get("writeConcernErrors") or any(
        e.get("code") != DUPLICATE_KEY for e in details.get("writeErrors", [])
    ):
        raise error
    return [int(e["index"]) for e in details.get("writeErrors", [])]


async def _bulk(collection: Collection, operations: list[UpdateOne]) -> list[int]:
    """Runs the operations unordered; returns the indexes of those refused as duplicates."""
    if not operations:
        return []
    try:
        await collection.bulk_write(operations, ordered=False)
    except BulkWriteError as error:
        return _refused(error)
    return []


async def _add_remaining(collection: Collection, key: Key, events: dict[str, Event]) -> int:
    """A refused second update: write the events that are not there yet. Returns how many.
    Each refusal means another writer stored some of them (or created the document): the loop
    ends within as many turns as there are events, and two."""
    for _ in range(len(events) + 2):
        paths = {event_path(i, event): 1 for i, event in events.items()}
        found: dict[str, Any] | None = await collection.find_one({"_id": key.id}, paths)
        labels = (found or {}).get("e", {}).values()
        present = {i for ids in labels for i in ids}
        events = {i: event for i, event in events.items() if i not in present}
        if not events:
            return 0
        try:
            await collection.update_one(*add_events(key, events), upsert=True)
        except DuplicateKeyError:
            continue  # another writer got there first: look again
        return len(events)
    raise DuplicateKeyError(f"{key.id} keeps refusing its events")


async def record(collection: Collection, batch: Sequence[Event]) -> WriteResult:
    """Record each event of ``batch`` once in its second, however often it came before."""
    if not batch:
        return WriteResult(0, 0)
    groups = list(group_by_second(batch).items())
    operations = [UpdateOne(*add_events(key, events), upsert=True) for key, events in groups]
    refused = set(await _bulk(collection, operations))
    stored = 0
    for index, (key, events) in enumerate(groups):
        if index in refused:
            stored += await _add_remaining(collection, key, events)
        else:
            stored += len(events)
    return WriteResult(stored, len(batch) - stored)


async def _copy_up(collection: Collection, seconds: list[dict[str, Any]]) -> None:
    """Copy these second documents' totals into their minutes, then those into their hours,
    those into their days, and those into their months."""
    documents = seconds
    for level in LEVELS[1:]:
        parents = {d["_id"]: Key.of(d).parent() for d in documents}
        operations = [op for d in documents for op in copy_totals(parents[d["_id"]], d)]
        refused = await _bulk(collection, operations)
        # A refusal is a newer copy already there, or two writers creating the parent at once:
        # once more, the parent exists and only a newer copy can refuse.
        await _bulk(collection, [operations[i] for i in refused])
        if level is not LEVELS[-1]:
            ids = list({key.id for key in parents.values()})
            documents = await collection.find({"_id": {"$in": ids}}, [*KEY_FIELDS, "s"]).to_list()


async def settle(collection: Collection, progress: Callable[[], object] = lambda: None) -> int:
    """Copy every dirty second document upwards and mark it clean; returns how many.
    ``progress`` is called after each chunk (the consumer's liveness, after a backfill)."""
    settled = 0
    while True:
        found: list[dict[str, Any]] = (
            await collection.find({"dirty": True}, [*KEY_FIELDS, "label", "c", "n", "N"])
            .limit(CHUNK)
            .to_list()
        )
        if not found:
            return settled
        # A minute of 1.3.0's layout left dirty (by a consumer of that version, still running in
        # a rolling update or killed) is the upgrade's (upgrade.py): it is not copied, only
        # marked clean here so that no pass reads it again.
        old = [d["_id"] for d in found if old_layout(d)]
        if old:
            await collection.update_many({"_id": {"$in": old}}, {"$unset": {"dirty": ""}})
        seconds = [d for d in found if not old_layout(d)]
        await _copy_up(collection, seconds)
        # Clean only if unchanged since read: what came meanwhile waits for the next pass. One
        # update per count read (the seconds of a chunk share a few).
        by_count: dict[int, list[str]] = {}
        for d in seconds:
            by_count.setdefault(d["N"], []).append(d["_id"])
        if by_count:
            await collection.bulk_write(
                [
                    UpdateMany({"_id": {"$in": ids}, "N": n}, {"$unset": {"dirty": ""}})
                    for n, ids in by_count.items()
                ],
                ordered=False,
            )
        settled += len(seconds)
        progress()
        if len(found) < CHUNK:
            return settled

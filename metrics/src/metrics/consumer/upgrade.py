"""The upgrade of a store written by 1.3.0, whose rollups had one document per metric *and
label* and period (``<level>|<metric>|<YYYY-MM-DDTHH:MM>|<label>``, a ``label`` field, the minute's
events as ``e: {id: {d, v, s}}``, its sum ``c`` and count ``n``), into the layout of rollups.py
(one document per metric and period, its labels inside).

A 1.3.0 minute document holds its events themselves, so the upgrade re-records them through
the consumer's own write (repository.record), which counts an event once whatever came before:
a redelivery from the stream, an earlier run of the upgrade. Then it removes that document, only
if it is as it was read (its count ``n`` grows with every event a 1.3.0 consumer adds, as one
still running in a rolling update does), and the 1.3.0 hour, day and month documents, copies of
the minutes' totals. Reads and the copies upwards pass over 1.3.0 documents (rollups.old_layout),
so the counters never count an event twice nor fail meanwhile; they count an event of the old
store once the upgrade has recorded it and the copies upwards have run.

Its progress is the store itself: what is left to do is what is left of the 1.3.0 documents,
found on the sparse index ``old_layout`` (db.py), so a run killed at any moment is resumed by the
next, and a store without any (a fresh one, or one done) costs one index lookup. The consumer
runs it at start-up and then every METRICS_CONSUMER_CLAIM_INTERVAL_SECONDS, with the backfill
(worker.py); ``python -m metrics.consumer.upgrade`` runs it by hand, then copies upwards.
"""

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from pymongo import DeleteOne

from metrics.base_settings import load_settings
from metrics.consumer.repository import record, settle
from metrics.db import (
    OLD_LAYOUT_INDEX,
    Collection,
    close_bounded,
    ensure_indexes,
    mongo_client,
)
from metrics.db import rollups as rollups_collection
from metrics.events import Event
from metrics.logs import configure_logging
from metrics.rollups import MINUTE
from metrics.settings import Settings

log = logging.getLogger("metrics.consumer.upgrade")  # the same name when run by hand

OLD = {"label": {"$exists": True}}  # only 1.3.0's documents have the field (rollups.old_layout)


def old_events(document: dict[str, Any]) -> list[Event]:
    """The events a 1.3.0 minute document holds, as the consumer parsed them then."""
    return [
        Event(
            id=event_id,
            metric=document["metric"],
            value=stored["v"],
            label=document["label"],
            date=stored["d"],
            source=stored.get("s") or "unknown",
        )
        for event_id, stored in document.get("e", {}).items()
    ]


def removal(document: dict[str, Any]) -> DeleteOne:
    """A 1.3.0 document's removal; a minute's only while it holds what was read (``n``)."""
    if document["lv"] == MINUTE.name:
        return DeleteOne({"_id": document["_id"], "n": document.get("n")})
    return DeleteOne({"_id": document["_id"]})


async def pending(rollups: Collection) -> bool:
    """Whether any 1.3.0 document is left: one lookup on a sparse index."""
    return await rollups.find_one(OLD, ["_id"], hint=OLD_LAYOUT_INDEX) is not None


async def remove(rollups: Collection, documents: list[dict[str, Any]]) -> int:
    """Remove these 1.3.0 documents (a minute only if unchanged); returns how many went."""
    result = await rollups.bulk_write([removal(d) for d in documents], ordered=False)
    return result.deleted_count


async def upgrade(
    rollups: Collection, batch_size: int, progress: Callable[[], object] = lambda: None
) -> int:
    """Converts every 1.3.0 document left, ``batch_size`` at a time; returns how many events it
    re-recorded (counted or found already counted). ``progress`` is called after each batch (the
    consumer's liveness)."""
    if not await pending(rollups):
        return 0
    log.info("upgrade of the 1.3.0 rollups: started")
    events = documents = 0
    while found := await rollups.find(OLD, hint=OLD_LAYOUT_INDEX).limit(batch_size).to_list():
        batch = [e for d in found if d["lv"] == MINUTE.name for e in old_events(d)]
        for start in range(0, len(batch), batch_size):
            await record(rollups, batch[start : start + batch_size])
        events += len(batch)
        # What is removed is recorded; a minute changed since it was read stays, and the next
        # turn records it again (what it held already is found there).
        documents += await remove(rollups, found)
        progress()
    log.info(
        "upgrade of the 1.3.0 rollups: done, %d events re-recorded, %d documents removed",
        events,
        documents,
    )
    return events


async def _main(settings: Settings) -> None:
    client = mongo_client(settings)
    try:
        rollups = rollups_collection(client, settings)
        await ensure_indexes(rollups)
        await upgrade(rollups, settings.consumer_batch_size)
        await settle(rollups)
    finally:
        await close_bounded(client.close(), "MongoDB client")


def main() -> None:
    settings = load_settings(Settings, "metrics-upgrade")
    configure_logging(settings.log_level)
    asyncio.run(_main(settings))


if __name__ == "__main__":
    main()

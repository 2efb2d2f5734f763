"""The migration of what the consumer stored before the rollups (one document per event, in
``<METRICS_MONGO_COLLECTION>``) into the rollups, through the consumer's own write.

That write counts an event once whatever came before, so the backfill is idempotent: it may be
interrupted at any moment, run again, or meet events the stream delivers too. Its progress (the
last event id done, in id order) is kept in the rollups collection, so a restarted consumer
resumes; once done it records the number of events it went through, and it goes through them
all again only when that number has changed: a consumer of the old version still writing during
a rolling update, or a restored dump.

The consumer runs it at start-up and then every METRICS_CONSUMER_CLAIM_INTERVAL_SECONDS, with
its claims (worker.py), and copies the seconds upwards as it does after batches;
``python -m metrics.consumer.backfill`` runs it by hand, from the start whatever its progress
says, then copies.
"""

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from metrics.base_settings import load_settings
from metrics.consumer.repository import record, settle
from metrics.db import Collection, close_bounded, ensure_indexes, legacy_events, mongo_client
from metrics.db import rollups as rollups_collection
from metrics.events import Event
from metrics.logs import configure_logging
from metrics.settings import Settings

log = logging.getLogger(__name__)

PROGRESS = "backfill"  # the `_id` (and `lv`) of the progress document in the rollups


def legacy_event(document: dict[str, Any]) -> Event:
    """A stored event as the consumer parsed it then (events.py: already validated)."""
    return Event(
        id=document["_id"],
        metric=document["metric"],
        value=document["value"],
        label=document.get("label"),
        date=document["date"],
        source=document.get("source") or "unknown",
    )


async def backfill(
    legacy: Collection,
    rollups: Collection,
    batch_size: int,
    restart: bool = False,
    progress: Callable[[], object] = lambda: None,
) -> int:
    """Records every legacy event not yet gone through; returns how many it went through.
    ``progress`` is called after each batch (the consumer's liveness). Cheap when there is
    nothing to do: a count and one document."""
    seen = 0
    while True:  # until the count it went through is still the count (an old consumer stopped)
        total = await legacy.estimated_document_count()
        state = await rollups.find_one({"_id": PROGRESS}) or {}
        if total == 0 or (state.get("done") == total and not restart):
            return seen
        after = None if restart or "done" in state else state.get("after")
        restart = False
        log.info("backfill of %d stored events into the rollups, from %s", total, after or "start")
        while documents := await (
            legacy.find({"_id": {"$gt": after}} if after else {}).sort("_id", 1).limit(batch_size)
        ).to_list():
            await record(rollups, [legacy_event(document) for document in documents])
            after = documents[-1]["_id"]
            seen += len(documents)
            await rollups.update_one(
                {"_id": PROGRESS},
                {"$set": {"lv": PROGRESS, "after": after}, "$unset": {"done": ""}},
                upsert=True,
            )
            progress()
        # The count it started from: events added meanwhile make the two differ.
        await rollups.update_one({"_id": PROGRESS}, {"$set": {"done": total}}, upsert=True)
        log.info("backfill done: %d stored events went through", seen)


async def _main(settings: Settings) -> None:
    client = mongo_client(settings)
    try:
        rollups = rollups_collection(client, settings)
        await ensure_indexes(rollups)
        legacy = legacy_events(client, settings)
        await backfill(legacy, rollups, settings.consumer_batch_size, restart=True)
        await settle(rollups)
    finally:
        await close_bounded(client.close(), "MongoDB client")


def main() -> None:
    settings = load_settings(Settings, "metrics-backfill")
    configure_logging(settings.log_level)
    asyncio.run(_main(settings))


if __name__ == "__main__":
    main()

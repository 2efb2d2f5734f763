"""The consumer's write: events upserted into the collection, keyed by their id."""

from collections.abc import Sequence
from dataclasses import dataclass

from pymongo import UpdateOne
from pymongo.errors import BulkWriteError

from metrics.db import Collection
from metrics.events import Event

DUPLICATE_KEY = 11000


@dataclass(frozen=True)
class WriteResult:
    stored: int
    duplicates: int


async def upsert_events(events: Collection, batch: Sequence[Event]) -> WriteResult:
    """Insert the events not stored yet; a redelivered event matches its document and changes
    nothing (``$setOnInsert``), so replays never double-count."""
    if not batch:
        return WriteResult(0, 0)
    operations = [
        UpdateOne({"_id": event.id}, {"$setOnInsert": event.document()}, upsert=True)
        for event in batch
    ]
    try:
        result = await events.bulk_write(operations, ordered=False)
    except BulkWriteError as error:
        # Two consumers upserting the same new id race to a duplicate-key error: the document
        # exists, which is what we wanted. Anything else is raised for the caller to retry.
        if any(e.get("code") != DUPLICATE_KEY for e in error.details.get("writeErrors", [])):
            raise
        stored = int(error.details.get("nUpserted", 0))
        return WriteResult(stored, len(batch) - stored)
    return WriteResult(result.upserted_count, len(batch) - result.upserted_count)

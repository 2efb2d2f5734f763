"""The MongoDB side: one document per event in ``<database>.metrics``, keyed by the event id."""

from collections.abc import Sequence
from dataclasses import dataclass

from pymongo import AsyncMongoClient, UpdateOne
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import BulkWriteError

from metrics.events import Event
from metrics.settings import Settings

# Serves every query: equality on metric, a range on date, and label/value for the $group
# without reading the documents (a covered scan on MongoDB).
QUERY_INDEX = "metric_date_label_value"
DUPLICATE_KEY = 11000

Collection = AsyncCollection[dict[str, object]]


def mongo_client(settings: Settings) -> AsyncMongoClient[dict[str, object]]:
    return AsyncMongoClient(
        settings.mongo_url.get_secret_value(),
        tz_aware=True,
        serverSelectionTimeoutMS=settings.mongo_timeout_ms,
        connectTimeoutMS=settings.mongo_timeout_ms,
        socketTimeoutMS=max(settings.mongo_timeout_ms, 30_000),
    )


def collection(client: AsyncMongoClient[dict[str, object]], settings: Settings) -> Collection:
    return client[settings.mongo_database][settings.mongo_collection]


async def ensure_indexes(events: Collection) -> None:
    """Idempotent; both processes run it at start-up. ``_id`` (the event id) is unique."""
    await events.create_index(
        [("metric", 1), ("date", 1), ("label", 1), ("value", 1)], name=QUERY_INDEX
    )


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

"""The MongoDB side: the client, the events collection (one document per event in
``<database>.metrics``, keyed by the event id) and its index."""

from pymongo import AsyncMongoClient
from pymongo.asynchronous.collection import AsyncCollection

from metrics.settings import Settings

# Serves every query: equality on metric, a range on date, and label/value for the $group
# without reading the documents (a covered scan on MongoDB).
QUERY_INDEX = "metric_date_label_value"

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

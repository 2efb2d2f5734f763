"""The MongoDB side: the client, the events collection (one document per event in
``<database>.metrics``, keyed by the event id) and its index; and the bounded close that both
processes give each client at shutdown."""

import asyncio
import logging
from collections.abc import Awaitable

from pymongo import AsyncMongoClient
from pymongo.asynchronous.collection import AsyncCollection

from metrics.settings import Settings

# Serves every query: equality on metric, a range on date, and label/value for the $group
# without reading the documents (a covered scan on MongoDB).
QUERY_INDEX = "metric_date_label_value"

Collection = AsyncCollection[dict[str, object]]

CLOSE_TIMEOUT = 10.0  # seconds each client may take to close at shutdown

log = logging.getLogger(__name__)


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


async def close_bounded(
    closing: Awaitable[object], what: str, seconds: float = CLOSE_TIMEOUT
) -> None:
    """Bounded: a client stuck in a dependency must not keep the process from exiting."""
    try:
        await asyncio.wait_for(closing, seconds)
    except TimeoutError:
        log.warning("%s did not close within %s s; leaving it", what, seconds)

"""The MongoDB side: the client, the rollups collection (``<database>.<collection>_rollups``,
laid out in rollups.py) and its indexes, the collection where the consumer stored one document
per event before the rollups (``<database>.<collection>``, read only by the backfill); and the
bounded close that both processes give each client at shutdown."""

import asyncio
import logging
from collections.abc import Awaitable

from pymongo import AsyncMongoClient
from pymongo.asynchronous.collection import AsyncCollection

from metrics.settings import Settings

# The counters' reads: the month documents of one metric over a range of `t`, and of every
# metric for GET /metrics/names/ (SecantusDB scans the whole collection when an index leaves a
# field out of the middle, hence two). Windows use `$gte`/`$lt` on `t`, never `$lte`:
# SecantusDB's compound-index scan drops the documents equal to a `$lte` bound.
METRIC_INDEX = "lv_metric_t"
NAMES_INDEX = "lv_t"
# The second documents whose totals are not yet copied upwards (only those carry `dirty`, and
# 1.3.0 minutes a consumer of that version left so).
DIRTY_INDEX = "dirty"
# The documents of 1.3.0's layout, which alone have a `label` field (rollups.old_layout): sparse,
# so it is empty once the upgrade (consumer/upgrade.py) is done, and finding one is one lookup.
OLD_LAYOUT_INDEX = "old_layout"

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


def rollups(client: AsyncMongoClient[dict[str, object]], settings: Settings) -> Collection:
    return client[settings.mongo_database][f"{settings.mongo_collection}_rollups"]


def legacy_events(client: AsyncMongoClient[dict[str, object]], settings: Settings) -> Collection:
    """One document per event, keyed by its id: what the consumer wrote before the rollups."""
    return client[settings.mongo_database][settings.mongo_collection]


async def ensure_indexes(collection: Collection) -> None:
    """Idempotent; both processes run it at start-up on the rollups (``_id`` is the key)."""
    await collection.create_index([("lv", 1), ("metric", 1), ("t", 1)], name=METRIC_INDEX)
    await collection.create_index([("lv", 1), ("t", 1)], name=NAMES_INDEX)
    await collection.create_index("dirty", sparse=True, name=DIRTY_INDEX)
    await collection.create_index("label", sparse=True, name=OLD_LAYOUT_INDEX)


async def close_bounded(
    closing: Awaitable[object], what: str, seconds: float = CLOSE_TIMEOUT
) -> None:
    """Bounded: a client stuck in a dependency must not keep the process from exiting."""
    try:
        await asyncio.wait_for(closing, seconds)
    except TimeoutError:
        log.warning("%s did not close within %s s; leaving it", what, seconds)

"""Everything the consumer uses, opened once per process (``__main__.open_consumer``) and
closed, each client bounded, when it stops."""

from dataclasses import dataclass

from redis.asyncio import Redis

from metrics.consumer.status import ConsumerStatus
from metrics.db import Collection
from metrics.settings import Settings


@dataclass(frozen=True)
class ConsumerServices:
    settings: Settings
    redis: Redis  # its socket outlives a blocking XREADGROUP (`__main__.redis_client`)
    rollups: Collection  # the counters (rollups.py)
    legacy: Collection  # one document per event, from before the rollups: the backfill's input
    status: ConsumerStatus  # shared with the health listener

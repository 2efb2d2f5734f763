"""Everything the routes use, opened in the lifespan and reached through `request.app.state`."""

from dataclasses import dataclass

from pymongo import AsyncMongoClient
from redis.asyncio import Redis

from metrics.db import Collection
from metrics.settings import Settings
from metrics.tokens import TokenVerifier


@dataclass(frozen=True)
class Services:
    settings: Settings
    mongo: AsyncMongoClient[dict[str, object]]
    rollups: Collection  # the counters' collection of `mongo` (rollups.py)
    redis: Redis
    verifier: TokenVerifier

"""Everything the routes use, opened in the lifespan and reached through `request.app.state`."""

from dataclasses import dataclass
from typing import Any

from litestar import Request
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


def provide_services(request: Request[Any, Any, Any]) -> Services:
    """Sync on purpose (`sync_to_thread=False`): an async provider makes Litestar open a task
    group for every request."""
    services: Services = request.app.state.services
    return services

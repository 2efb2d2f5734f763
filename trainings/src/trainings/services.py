"""Everything the routes use, opened in the lifespan and reached through `request.app.state`."""

from dataclasses import dataclass
from typing import Any

import asyncpg
from litestar import Request
from redis.asyncio import Redis

from trainings.catalogue.service import Catalogue
from trainings.outbox import OutboxRelay
from trainings.settings import Settings
from trainings.storage import Storage
from trainings.tokens import TokenVerifier


@dataclass(frozen=True)
class Services:
    settings: Settings
    pool: asyncpg.Pool
    redis: Redis
    storage: Storage
    relay: OutboxRelay
    verifier: TokenVerifier
    catalogue: Catalogue


def provide_services(request: Request[Any, Any, Any]) -> Services:
    """Sync on purpose (`sync_to_thread=False`): an async provider makes Litestar open a task
    group for every request."""
    services: Services = request.app.state.services
    return services

"""Everything the routes use, opened in the lifespan and reached through `request.app.state`."""

from dataclasses import dataclass
from typing import Any

import asyncpg
import httpx
from litestar import Request
from redis.asyncio import Redis

from goals.clock import Clock
from goals.outbox import OutboxRelay
from goals.settings import Settings
from goals.storage import Storage
from goals.tokens import TokenVerifier


@dataclass(frozen=True)
class Services:
    settings: Settings
    pool: asyncpg.Pool
    redis: Redis
    # The one outbound client (timeouts from settings): readiness asks authentication with it.
    http: httpx.AsyncClient
    storage: Storage
    relay: OutboxRelay
    verifier: TokenVerifier
    # Every timestamp and window comes from it; tests pass one they move.
    clock: Clock


def provide_services(request: Request[Any, Any, Any]) -> Services:
    """Sync on purpose (`sync_to_thread=False`): an async provider makes Litestar open a task
    group for every request."""
    services: Services = request.app.state.services
    return services

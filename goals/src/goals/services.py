"""Everything the routes use, opened in the lifespan, kept on `app.state` and read as
`request.services` (security.ApiRequest)."""

from dataclasses import dataclass

import asyncpg
import httpx
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

"""Everything the routes use, opened in the lifespan, kept on `app.state` and read as
`request.services` (security.ApiRequest)."""

from dataclasses import dataclass

import asyncpg
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

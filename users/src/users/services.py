"""Everything the routes use, opened in the lifespan, kept on `app.state` and read as
`request.services` (security.ApiRequest)."""

from dataclasses import dataclass

from redis.asyncio import Redis

from users.clients.auth import AuthClient
from users.clients.holders import DataHolder, TrainingsClient
from users.clients.payment import PaymentClient
from users.db import Pool
from users.deletions.worker import DeletionWorker
from users.geo import Positions
from users.outbox import OutboxRelay
from users.ratelimit import RateLimiter
from users.settings import Settings
from users.storage import Storage
from users.tokens import TokenVerifier


@dataclass(frozen=True)
class Services:
    settings: Settings
    pool: Pool
    redis: Redis
    auth: AuthClient
    storage: Storage
    payment: PaymentClient
    trainings: TrainingsClient
    goals: DataHolder
    positions: Positions
    relay: OutboxRelay
    deleter: DeletionWorker
    verifier: TokenVerifier
    limiter: RateLimiter

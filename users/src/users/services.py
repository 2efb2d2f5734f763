"""Everything the routes use, opened in the lifespan and reached through `request.app.state`."""

from dataclasses import dataclass
from typing import Any

from litestar import Request
from redis.asyncio import Redis

from users.clients.auth import AuthClient
from users.clients.payment import PaymentClient
from users.db import Pool
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
    positions: Positions
    relay: OutboxRelay
    verifier: TokenVerifier
    limiter: RateLimiter


def provide_services(request: Request[Any, Any, Any]) -> Services:
    """Sync on purpose (`sync_to_thread=False`): an async provider makes Litestar open a task
    group for every request."""
    services: Services = request.app.state.services
    return services

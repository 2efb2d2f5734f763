"""Everything the routes use, opened in the lifespan and reached through `request.app.state`."""

from dataclasses import dataclass
from typing import Any

import asyncpg
from litestar import Request
from redis.asyncio import Redis

from users.clients.auth import AuthClient
from users.events.relay import OutboxRelay
from users.geo import Positions
from users.ratelimit import LoginLimiter
from users.settings import Settings
from users.tokens import TokenVerifier
from users.wallets.payment import PaymentClient


@dataclass(frozen=True)
class Services:
    settings: Settings
    pool: asyncpg.Pool
    redis: Redis
    auth: AuthClient
    payment: PaymentClient
    positions: Positions
    relay: OutboxRelay
    verifier: TokenVerifier
    limiter: LoginLimiter


async def provide_services(request: Request[Any, Any, Any]) -> Services:
    services: Services = request.app.state.services
    return services

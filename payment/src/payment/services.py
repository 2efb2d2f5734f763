"""Everything the routes use, opened in the lifespan and reached through `request.app.state`."""

from dataclasses import dataclass
from typing import Any

import asyncpg
from litestar import Request
from redis.asyncio import Redis

from payment.chain.client import Chain
from payment.ledger.engine import Engine
from payment.outbox import OutboxRelay
from payment.settings import Settings


@dataclass(frozen=True)
class Services:
    settings: Settings
    pool: asyncpg.Pool
    redis: Redis
    relay: OutboxRelay
    # The node's client; `use_contract` gives it the contract once start-up found or deployed it.
    chain: Chain
    # Moves ledger rows forward (it holds the wallet key box, the owner, and wakes the relay).
    engine: Engine
    # The credential the users service presents in X-Service-Token (security.py checks it).
    service_token: str


def provide_services(request: Request[Any, Any, Any]) -> Services:
    """Sync on purpose (`sync_to_thread=False`): an async provider makes Litestar open a task
    group for every request."""
    services: Services = request.app.state.services
    return services

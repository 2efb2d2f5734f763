"""Everything the routes use, opened in the lifespan and reached through `request.app.state`."""

from dataclasses import dataclass

import asyncpg
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

"""The confirmation tracker: moves unfinished rows forward in the background, and on start-up
reconciles rows a crash left ``pending`` or ``submitted`` (re-broadcasting stored bytes only)."""

import asyncio
import logging

import asyncpg

from payment.chain.errors import ChainUnavailable
from payment.ledger import repository as ledger
from payment.ledger.engine import Engine

log = logging.getLogger(__name__)


async def sweep(engine: Engine, older_than: float, rebroadcast: bool) -> int:
    """One pass over unfinished rows; returns how many it looked at."""
    async with engine.pool.acquire() as conn:
        ids = await ledger.unfinished(conn, await engine.chain.chain_id(), older_than, limit=500)
    for entry_id in ids:
        await engine.step(entry_id, rebroadcast=rebroadcast)
    return len(ids)


async def reconcile(engine: Engine) -> None:
    try:
        count = await sweep(engine, older_than=0, rebroadcast=True)
        if count:
            log.info("start-up reconciliation looked at %d unfinished ledger rows", count)
    except ChainUnavailable:
        log.warning("start-up reconciliation postponed: the chain is unreachable")


async def track_forever(engine: Engine, interval: float, grace: float) -> None:
    while True:
        await asyncio.sleep(interval)
        try:
            await sweep(engine, older_than=grace, rebroadcast=False)
            await engine.watch_owner()
        except ChainUnavailable:
            log.warning("tracker: the chain is unreachable")
        except (OSError, asyncpg.PostgresError):
            log.exception("tracker pass failed")

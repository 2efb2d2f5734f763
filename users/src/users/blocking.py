"""The Redis set of blocked user ids that every FiuFit service checks on each request.

The database is the source of truth: the set is updated right after each toggle and rewritten
from the database every few seconds, so a Redis blip during a toggle heals by itself.
"""

import asyncio
import logging

import asyncpg
from redis.asyncio import Redis
from redis.exceptions import RedisError

from users.profiles.repository import blocked_ids
from users.tokens import BLOCKED_USERS_KEY

log = logging.getLogger(__name__)


async def mark(redis: Redis, user_id: int, blocked: bool) -> None:
    try:
        if blocked:
            await redis.sadd(BLOCKED_USERS_KEY, user_id)
        else:
            await redis.srem(BLOCKED_USERS_KEY, user_id)
    except (RedisError, OSError) as error:
        log.warning("blocked set not updated for %s (the sync will): %s", user_id, error)


async def sync(pool: asyncpg.Pool, redis: Redis) -> None:
    async with pool.acquire() as conn:
        ids = await blocked_ids(conn)
    async with redis.pipeline(transaction=True) as pipe:
        pipe.delete(BLOCKED_USERS_KEY)
        if ids:
            pipe.sadd(BLOCKED_USERS_KEY, *ids)
        await pipe.execute()


async def keep_in_sync(pool: asyncpg.Pool, redis: Redis, interval: float) -> None:
    while True:
        try:
            await sync(pool, redis)
        except (RedisError, OSError, asyncpg.PostgresError) as error:
            log.warning("blocked set sync failed: %s", error)
        await asyncio.sleep(interval)

"""Publishes unsent outbox rows to the Redis stream, oldest first, and marks them sent.

Several replicas may run it: `FOR UPDATE SKIP LOCKED` hands each row to one of them. When Redis
is down the transaction rolls back and the rows wait for the next round; requests never notice.
A crash between XADD and the commit publishes a row twice: consumers upsert by event id.
"""

import asyncio
import contextlib
import logging

import asyncpg
from redis.asyncio import Redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

_CLAIM = """
    SELECT id, payload::text AS payload FROM outbox
    WHERE sent_at IS NULL
    ORDER BY created_at
    LIMIT $1
    FOR UPDATE SKIP LOCKED
"""
_MARK_SENT = "UPDATE outbox SET sent_at = now() WHERE id = ANY($1::uuid[])"
_PRUNE = "DELETE FROM outbox WHERE sent_at < now() - interval '7 days'"


class OutboxRelay:
    def __init__(
        self,
        pool: asyncpg.Pool,
        redis: Redis,
        stream: str,
        batch_size: int = 100,
        interval: float = 0.5,
    ) -> None:
        self._pool = pool
        self._redis = redis
        self._stream = stream
        self._batch_size = batch_size
        self._interval = interval
        self._wake = asyncio.Event()

    def notify(self) -> None:
        """Something was just written: publish without waiting for the next poll."""
        self._wake.set()

    async def publish_batch(self) -> int:
        """One round: returns how many events went out (0 when Redis is unreachable)."""
        async with self._pool.acquire() as conn, conn.transaction():
            rows = await conn.fetch(_CLAIM, self._batch_size)
            if not rows:
                return 0
            try:
                async with self._redis.pipeline(transaction=False) as pipe:
                    for row in rows:
                        pipe.xadd(self._stream, {"event": row["payload"]})
                    await pipe.execute()
            except (RedisError, OSError) as error:
                log.warning("outbox: Redis unavailable, %d events wait: %s", len(rows), error)
                return 0
            await conn.execute(_MARK_SENT, [row["id"] for row in rows])
        return len(rows)

    async def drain(self) -> int:
        sent = total = await self.publish_batch()
        while sent == self._batch_size:
            sent = await self.publish_batch()
            total += sent
        return total

    async def run(self) -> None:
        rounds = 0
        while True:
            try:
                await self.drain()
                rounds += 1
                if rounds % 10_000 == 0:
                    async with self._pool.acquire() as conn:
                        await conn.execute(_PRUNE)
            except (asyncpg.PostgresError, OSError) as error:
                log.warning("outbox relay round failed: %s", error)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._interval)
            self._wake.clear()

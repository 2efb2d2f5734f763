"""Publishes unsent outbox rows with XADD and marks them sent; Redis down only delays them."""

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass, field

import asyncpg
from redis.asyncio import Redis

log = logging.getLogger(__name__)

_PURGE_EVERY = 60.0  # seconds between purges of old sent rows


@dataclass(eq=False)
class OutboxRelay:
    pool: asyncpg.Pool
    redis: Redis
    stream: str
    batch_size: int
    poll_interval: float
    retention_days: float
    _wakeup: asyncio.Event = field(default_factory=asyncio.Event, init=False)
    _purged_at: float = field(default=0.0, init=False)

    def notify(self) -> None:
        """Called after a commit that enqueued events: publish now rather than at the next poll."""
        self._wakeup.set()

    async def publish_pending(self) -> int:
        """Publishes one batch and returns its size; a Redis failure raises and rolls back."""
        async with self.pool.acquire() as conn, conn.transaction():
            rows = await conn.fetch(
                """
                SELECT seq, event::text AS event FROM outbox
                WHERE sent_at IS NULL
                ORDER BY seq
                LIMIT $1
                FOR UPDATE SKIP LOCKED
                """,
                self.batch_size,
            )
            if not rows:
                return 0
            async with self.redis.pipeline(transaction=False) as pipe:
                for row in rows:
                    pipe.xadd(self.stream, {"event": row["event"]})
                await pipe.execute()
            await conn.execute(
                "UPDATE outbox SET sent_at = now() WHERE seq = ANY($1::bigint[])",
                [row["seq"] for row in rows],
            )
        return len(rows)

    async def purge_sent(self) -> None:
        async with self.pool.acquire() as conn:
            await conn.execute(
                "DELETE FROM outbox WHERE sent_at < now() - make_interval(secs => $1)",
                self.retention_days * 86400,
            )
        self._purged_at = time.monotonic()

    async def run(self) -> None:
        while True:
            self._wakeup.clear()  # a notify during the pass below makes the wait return at once
            try:
                while await self.publish_pending() == self.batch_size:
                    pass
                if time.monotonic() - self._purged_at > _PURGE_EVERY:
                    await self.purge_sent()
            except Exception as error:  # never let the relay die; the rows wait for the next pass
                log.warning("outbox relay pass failed: %s", error)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), self.poll_interval)

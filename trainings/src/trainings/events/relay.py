"""Publishes unsent outbox rows to the Redis stream (XADD), then marks them sent.

At least once: a crash between XADD and the commit publishes a row again, with the same event
id, and the metrics consumer upserts by id. Redis or Postgres down: retried later with backoff;
requests never wait for the relay.
"""

import asyncio
import contextlib
import logging
import time

import asyncpg
from prometheus_client import Counter
from redis.asyncio import Redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

PUBLISHED = Counter("fiufit_trainings_events_published", "Outbox events published to Redis")

_FAILURES = (RedisError, asyncpg.PostgresError, asyncpg.InterfaceError, OSError, TimeoutError)


class OutboxRelay:
    def __init__(
        self,
        pool: asyncpg.Pool,
        redis: Redis,
        stream: str,
        batch_size: int = 100,
        poll_interval: float = 1.0,
        retention_days: int = 7,
    ) -> None:
        self._pool = pool
        self._redis = redis
        self._stream = stream
        self._batch_size = batch_size
        self._poll_interval = poll_interval
        self._retention_days = retention_days
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._last_purge = 0.0

    def wake(self) -> None:
        """Called after a commit that wrote events, so they go out without waiting for a poll."""
        self._wake.set()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="outbox-relay")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def publish_batch(self) -> int:
        async with self._pool.acquire() as conn, conn.transaction():
            rows = await conn.fetch(
                """
                SELECT id, payload::text AS payload FROM outbox
                WHERE sent_at IS NULL
                ORDER BY created_at
                LIMIT $1
                FOR UPDATE SKIP LOCKED
                """,
                self._batch_size,
            )
            if not rows:
                return 0
            async with self._redis.pipeline(transaction=False) as pipe:
                for row in rows:
                    pipe.xadd(self._stream, {"event": row["payload"]})
                await pipe.execute()
            await conn.execute(
                "UPDATE outbox SET sent_at = now() WHERE id = ANY($1::uuid[])",
                [row["id"] for row in rows],
            )
        PUBLISHED.inc(len(rows))
        return len(rows)

    async def purge(self) -> None:
        async with self._pool.acquire() as conn:
            await conn.execute(
                "DELETE FROM outbox WHERE sent_at < now() - make_interval(days => $1)",
                self._retention_days,
            )

    async def _run(self) -> None:
        failures = 0
        while True:
            self._wake.clear()
            try:
                published = await self.publish_batch()
                if time.monotonic() - self._last_purge > 3600:
                    await self.purge()
                    self._last_purge = time.monotonic()
                failures = 0
            except _FAILURES as error:
                failures += 1
                log.warning("outbox relay: %s (attempt %d)", error, failures)
                await asyncio.sleep(min(30.0, self._poll_interval * 2**failures))
                continue
            if published < self._batch_size:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self._poll_interval)

"""The transactional outbox: declared glue, identical in users, payment, trainings and goals
(ARCHITECTURE.md, "Declared glue"; the event contract is in the root README, "Event contract").

A change and the event that describes it are written in one transaction (`enqueue`, into the
`outbox` table: `id uuid` primary key, `payload jsonb`, `created_at`, `sent_at`). After the commit
the caller wakes the relay (`OutboxRelay.notify`). The relay publishes unsent rows oldest first to
the Redis stream (`XADD <stream> * event <json>`) and marks them sent, in batches of
`batch_size`, each batch in one short transaction: several replicas may run it (`FOR UPDATE SKIP
LOCKED` hands each row to one of them). Delivery is at least once: a crash between the XADD and
the commit publishes a row again, with the same event id, and the metrics consumer stores each
id once. When Redis or Postgres is down the batch rolls back and the rows wait; requests never
notice. Sent rows older than `retention_days` are purged once an hour.
"""

import asyncio
import contextlib
import json
import logging
import time
import uuid
from datetime import UTC, datetime

import asyncpg
from prometheus_client import Counter
from redis.asyncio import Redis

from .db import Connection

log = logging.getLogger(__name__)

PUBLISHED = Counter(f"fiufit_{__package__}_events_published", "Outbox events published to Redis")

PURGE_EVERY = 3600.0  # seconds between purges of old sent rows
MAX_BACKOFF = 30.0  # seconds, the longest wait after failed rounds

_CLAIM = """
    SELECT id, payload::text AS payload FROM outbox
    WHERE sent_at IS NULL
    ORDER BY created_at
    LIMIT $1
    FOR UPDATE SKIP LOCKED
"""
_MARK_SENT = "UPDATE outbox SET sent_at = now() WHERE id = ANY($1::uuid[])"
_PURGE = "DELETE FROM outbox WHERE sent_at < now() - make_interval(secs => $1)"


def event(
    source: str,
    metric: str,
    label: str | None = None,
    value: float = 1,
    at: datetime | None = None,
) -> dict[str, object]:
    """The event body: `date` is ISO-8601 UTC with milliseconds and `Z`; `label` only when set."""
    body: dict[str, object] = {
        "id": str(uuid.uuid4()),
        "metric": metric,
        "value": value,
        "date": (at or datetime.now(UTC))
        .astimezone(UTC)
        .isoformat(timespec="milliseconds")
        .replace("+00:00", "Z"),
        "source": source,
    }
    if label is not None:
        body["label"] = label
    return body


async def enqueue(
    conn: Connection,
    source: str,
    metric: str,
    label: str | None = None,
    value: float = 1,
    at: datetime | None = None,
) -> None:
    """Writes one event; call it inside the transaction that makes the change it describes.

    `at` is when the change happened (default: now); wake the relay after the commit."""
    body = event(source, metric, label, value, at)
    await conn.execute(
        "INSERT INTO outbox (id, payload) VALUES ($1, $2::jsonb)",
        uuid.UUID(str(body["id"])),
        json.dumps(body),
    )


class OutboxRelay:
    """Publishes the outbox to `stream`; `start()`/`stop()` (or `run()`) in the app's lifespan."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        redis: Redis,
        stream: str,
        batch_size: int = 100,
        poll_interval: float = 1.0,
        retention_days: float = 7,
    ) -> None:
        self._pool = pool
        self._redis = redis
        self._stream = stream
        self._batch_size = batch_size
        self._poll_interval = poll_interval
        self._retention_days = retention_days
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._purged_at: float | None = None

    def notify(self) -> None:
        """Called after a commit that wrote events: publish now rather than at the next poll."""
        self._wake.set()

    async def publish_batch(self) -> int:
        """Publishes one batch and returns its size; a Redis failure raises and rolls it back."""
        async with self._pool.acquire() as conn, conn.transaction():
            rows = await conn.fetch(_CLAIM, self._batch_size)
            if not rows:
                return 0
            async with self._redis.pipeline(transaction=False) as pipe:
                for row in rows:
                    pipe.xadd(self._stream, {"event": row["payload"]})
                await pipe.execute()
            await conn.execute(_MARK_SENT, [row["id"] for row in rows])
        PUBLISHED.inc(len(rows))
        return len(rows)

    async def drain(self) -> int:
        """Publishes batches until one is short; returns how many events went out."""
        sent = total = await self.publish_batch()
        while sent == self._batch_size:
            sent = await self.publish_batch()
            total += sent
        return total

    async def purge(self) -> None:
        """Deletes the sent rows older than the retention."""
        async with self._pool.acquire() as conn:
            await conn.execute(_PURGE, self._retention_days * 86400.0)
        self._purged_at = time.monotonic()

    async def run(self) -> None:
        """The relay loop: never returns; a failed round is logged and retried with backoff."""
        failures = 0
        while True:
            self._wake.clear()  # a notify during the round below makes the wait return at once
            try:
                await self.drain()
                if self._purged_at is None or time.monotonic() - self._purged_at > PURGE_EVERY:
                    await self.purge()
                failures = 0
            except Exception as error:  # never let the relay die; the rows wait for the next round
                failures += 1
                log.warning("outbox relay: %s (attempt %d)", error, failures)
                await asyncio.sleep(min(MAX_BACKOFF, self._poll_interval * 2**failures))
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._poll_interval)

    def start(self) -> None:
        """Runs the loop in a task of the current event loop."""
        self._task = asyncio.create_task(self.run(), name="outbox-relay")

    async def stop(self) -> None:
        """Cancels the task started by `start()` and waits for it."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

"""Events for the metrics pipeline: written to the outbox in the caller's transaction, then
relayed to the Redis stream by a background task (a Redis outage only delays them)."""

import asyncio
import json
import logging
import uuid
from datetime import UTC, datetime

import asyncpg
from redis.asyncio import Redis
from redis.exceptions import RedisError

from payment.db import Conn

log = logging.getLogger(__name__)


async def record(conn: Conn, metric: str, label: str | None = None) -> None:
    event = {
        "id": str(uuid.uuid4()),
        "metric": metric,
        "value": 1,
        "date": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "source": "payment",
    }
    if label is not None:
        event["label"] = label
    await conn.execute("INSERT INTO outbox (event) VALUES ($1::jsonb)", json.dumps(event))


async def relay_once(pool: asyncpg.Pool, redis: Redis, stream: str, batch: int = 100) -> int:
    """Publish one batch of unsent events; returns how many were sent."""
    async with pool.acquire() as conn, conn.transaction():
        rows = await conn.fetch(
            """
            SELECT id, event::text AS event FROM outbox WHERE sent_at IS NULL
            ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED
            """,
            batch,
        )
        if not rows:
            return 0
        async with redis.pipeline(transaction=False) as pipe:
            for row in rows:
                pipe.xadd(stream, {"event": row["event"]})
            await pipe.execute()
        await conn.execute(
            "UPDATE outbox SET sent_at = now() WHERE id = ANY($1::bigint[])",
            [row["id"] for row in rows],
        )
        return len(rows)


async def relay_forever(pool: asyncpg.Pool, redis: Redis, stream: str, interval: float) -> None:
    while True:
        try:
            while await relay_once(pool, redis, stream):
                pass
        except (RedisError, OSError, asyncpg.PostgresError) as error:
            log.warning("outbox relay: %s (retrying)", error)
        await asyncio.sleep(interval)

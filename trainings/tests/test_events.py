import asyncio
import contextlib
import json
import re
from typing import Any

import asyncpg
from litestar.testing import AsyncTestClient
from redis.asyncio import Redis
from redis.exceptions import RedisError

from tests.conftest import (
    ATHLETE,
    DATABASE_URL,
    STREAM,
    Client,
    Create,
    admin,
    athlete,
    make_settings,
    trainer,
    training_body,
)
from trainings.app import create_app
from trainings.events.outbox import enqueue
from trainings.events.relay import OutboxRelay


async def events(redis: Redis, count: int) -> list[dict[str, Any]]:
    """The stream's events once at least ``count`` arrived (the relay runs in the background)."""
    for _ in range(100):
        entries = await redis.xrange(STREAM)
        if len(entries) >= count:
            return [json.loads(fields["event"]) for _, fields in entries]
        await asyncio.sleep(0.05)
    raise AssertionError(f"only {len(await redis.xrange(STREAM))} of {count} events arrived")


async def test_every_change_publishes_one_event(
    client: Client, create: Create, redis: Redis, db: asyncpg.Connection
) -> None:
    training = await create(type="Chest", exercises=[])
    tid = training["id"]
    mine = f"/users/{ATHLETE}/trainings"
    await client.post(mine, json={"training_id": tid}, headers=athlete())
    await client.put(f"{mine}/{tid}", json={"rate": 4}, headers=athlete())
    await client.put(f"{mine}/{tid}", json={"rate": 4}, headers=athlete())  # no change
    await client.put(f"{mine}/{tid}", json={"rate": 0}, headers=athlete())
    await client.delete(f"{mine}/{tid}", headers=athlete())
    await client.patch(f"/trainings/{tid}", json={"blocked": True}, headers=admin())
    await client.patch(f"/trainings/{tid}", json={"blocked": True}, headers=admin())  # no change
    await client.patch(f"/trainings/{tid}", json={"blocked": False}, headers=admin())

    published = await events(redis, 7)
    assert [(e["metric"], e.get("label")) for e in published] == [
        ("training_created_count", "Chest"),
        ("training_favourited_count", "Chest"),
        ("training_rated_count", "4"),
        ("training_rating_cleared_count", "Chest"),
        ("training_unfavourited_count", "Chest"),
        ("training_blocked_count", "Chest"),
        ("training_unblocked_count", "Chest"),
    ]
    for event in published:
        assert event["value"] == 1 and event["source"] == "trainings"
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", event["date"])
        assert re.fullmatch(r"[0-9a-f-]{36}", event["id"])
    assert len({e["id"] for e in published}) == 7
    for _ in range(50):
        if await db.fetchval("SELECT count(*) FROM outbox WHERE sent_at IS NULL") == 0:
            break
        await asyncio.sleep(0.05)
    assert await db.fetchval("SELECT count(*) FROM outbox WHERE sent_at IS NOT NULL") == 7


async def test_failed_requests_publish_nothing(client: Client, redis: Redis) -> None:
    bad = training_body(exercises=[{"name": "Moonwalk", "count": 1}])
    assert (await client.post("/trainings", json=bad, headers=trainer())).status_code == 400
    assert (
        await client.post("/trainings", json=training_body(), headers=athlete())
    ).status_code == 403
    await asyncio.sleep(0.3)
    assert await redis.xlen(STREAM) == 0


async def test_redis_down_never_fails_the_request_and_loses_nothing(
    db: asyncpg.Connection, redis: Redis
) -> None:
    down = make_settings(redis_url="redis://127.0.0.1:1/2", outbox_poll_interval=0.05)
    async with AsyncTestClient(app=create_app(down)) as client:
        response = await client.post("/trainings", json=training_body(), headers=trainer())
        assert response.status_code == 201, response.text
        ready = await client.get("/trainings/readiness/")
        assert ready.status_code == 503 and ready.json()["checks"]["redis"] != "ok"
        await asyncio.sleep(0.3)  # its relay fails and retries meanwhile
    # The row waited in the outbox; a healthy relay (the other app here) sent it, once.
    [event] = await events(redis, 1)
    assert event["metric"] == "training_created_count" and event["label"] == "Arm"
    await asyncio.sleep(0.3)
    assert await redis.xlen(STREAM) == 1


async def test_a_failing_relay_leaves_rows_for_the_next_attempt(
    db: asyncpg.Connection, redis: Redis
) -> None:
    pool = await asyncpg.create_pool(DATABASE_URL, min_size=1, max_size=2)
    broken = Redis.from_url("redis://127.0.0.1:1/2", socket_connect_timeout=0.5)
    try:
        async with pool.acquire() as conn, conn.transaction():
            await enqueue(conn, "test_metric", "x")
        relay = OutboxRelay(pool, broken, STREAM)
        with contextlib.suppress(RedisError):  # the rows it held are unlocked again, unsent
            await relay.publish_batch()
    finally:
        await pool.close()
        await broken.aclose()
    [event] = await events(redis, 1)  # published by a healthy relay, exactly once
    assert event["metric"] == "test_metric"
    await asyncio.sleep(0.3)
    assert await redis.xlen(STREAM) == 1


async def test_sent_rows_are_purged_after_the_retention(db: asyncpg.Connection) -> None:
    await db.execute(
        "INSERT INTO outbox (id, payload, sent_at) VALUES"
        " (gen_random_uuid(), '{}', now() - interval '8 days'),"
        " (gen_random_uuid(), '{}', now() - interval '1 day')"
    )
    pool = await asyncpg.create_pool(DATABASE_URL, min_size=1, max_size=1)
    redis = Redis.from_url("redis://127.0.0.1:1/2")
    try:
        await OutboxRelay(pool, redis, STREAM, retention_days=7).purge()
    finally:
        await pool.close()
        await redis.aclose()
    remaining = await db.fetch("SELECT sent_at > now() - interval '2 days' AS recent FROM outbox")
    assert [row["recent"] for row in remaining] == [True]

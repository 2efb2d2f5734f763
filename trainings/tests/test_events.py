"""Events go out through the outbox. The tests wait for states (rows marked sent), never for a
time. "Nothing else was published" is shown with a marker: once every row is sent, including
one enqueued after all the others, the stream holds everything that will ever be published."""

import contextlib
import json
import re
from collections.abc import AsyncIterator, Iterator
from typing import Any

import asyncpg
import pytest
from litestar.testing import AsyncTestClient
from redis.asyncio import Redis
from redis.exceptions import RedisError

from tests.helpers import (
    ATHLETE,
    DATABASE_URL,
    REDIS_URL,
    STREAM,
    Client,
    Create,
    admin,
    athlete,
    eventually,
    make_settings,
    recorded,
    trainer,
    training_body,
)
from trainings.app import create_app
from trainings.events import SOURCE
from trainings.outbox import OutboxRelay, enqueue

Rows = asyncpg.Connection | asyncpg.Pool

# The session app's relay runs through the whole suite and takes every row of `outbox`. Tests
# that must know which relay handled a row use an outbox of their own, in a schema first in the
# search path: only the relays those tests start can see its rows.
ISOLATED = "isolated_outbox"
ISOLATED_URL = f"{DATABASE_URL}?search_path={ISOLATED},public"
DOWN_REDIS = "redis://127.0.0.1:1/2"  # nothing listens on port 1


async def published(redis: Redis) -> list[tuple[str, str | None]]:
    return [(e["metric"], e.get("label")) for e in await stream(redis)]


async def stream(redis: Redis) -> list[dict[str, Any]]:
    return [json.loads(fields["event"]) for _, fields in await redis.xrange(STREAM)]


async def outbox_counts(rows: Rows) -> tuple[int, int]:
    """How many rows the outbox holds, and how many of them were sent."""
    row = await rows.fetchrow("SELECT count(*) AS total, count(sent_at) AS sent FROM outbox")
    assert row is not None
    return row["total"], row["sent"]


async def all_sent(rows: Rows, what: str) -> None:
    async def done() -> bool:
        total, sent = await outbox_counts(rows)
        return total > 0 and sent == total

    await eventually(done, what)


@pytest.fixture
async def isolated(db: asyncpg.Connection) -> AsyncIterator[asyncpg.Pool]:
    """A pool whose `outbox` is the isolated one (the other tables are the usual ones)."""
    await db.execute(
        f"CREATE SCHEMA {ISOLATED};"
        f" CREATE TABLE {ISOLATED}.outbox (LIKE public.outbox INCLUDING ALL)"
    )
    pool = await asyncpg.create_pool(ISOLATED_URL, min_size=1, max_size=3)
    try:
        yield pool
    finally:
        await pool.close()
        await db.execute(f"DROP SCHEMA {ISOLATED} CASCADE")


@contextlib.asynccontextmanager
async def healthy_relay(pool: asyncpg.Pool) -> AsyncIterator[OutboxRelay]:
    """A relay of the test's own, running in the test's event loop until the block ends."""
    redis = Redis.from_url(REDIS_URL)
    relay = OutboxRelay(pool, redis, STREAM, poll_interval=0.05)
    relay.start()
    try:
        yield relay
    finally:
        await relay.stop()
        await redis.aclose()


async def send_marker(pool: asyncpg.Pool, relay: OutboxRelay) -> None:
    """Enqueues a marker after every other row, and waits until all of them are sent."""
    async with pool.acquire() as conn, conn.transaction():
        await enqueue(conn, SOURCE, "test_marker")
    relay.notify()
    await all_sent(pool, "the marker to be sent")


@pytest.fixture
def relay_log() -> Iterator[list[str]]:
    """What the outbox relays report."""
    with recorded("trainings.outbox") as messages:
        yield messages


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

    # The app's relay sends them; once every row is sent, the stream has them all.
    await all_sent(db, "the events to be sent")
    assert await outbox_counts(db) == (7, 7)
    events = await stream(redis)
    assert [(e["metric"], e.get("label")) for e in events] == [
        ("training_created_count", "Chest"),
        ("training_favourited_count", "Chest"),
        ("training_rated_count", "4"),
        ("training_rating_cleared_count", "Chest"),
        ("training_unfavourited_count", "Chest"),
        ("training_blocked_count", "Chest"),
        ("training_unblocked_count", "Chest"),
    ]
    for event in events:
        assert event["value"] == 1 and event["source"] == "trainings"
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", event["date"])
        assert re.fullmatch(r"[0-9a-f-]{36}", event["id"])
    assert len({e["id"] for e in events}) == 7


async def test_failed_requests_publish_nothing(
    client: Client, create: Create, db: asyncpg.Connection, redis: Redis
) -> None:
    bad = training_body(exercises=[{"name": "Moonwalk", "count": 1}])
    assert (await client.post("/trainings", json=bad, headers=trainer())).status_code == 400
    assert (
        await client.post("/trainings", json=training_body(), headers=athlete())
    ).status_code == 403
    # The marker: a request that publishes. Once every row is sent, only its event is out.
    await create()
    await all_sent(db, "the marker to be sent")
    assert await published(redis) == [("training_created_count", "Arm")]


async def test_redis_down_never_fails_the_request_and_loses_nothing(
    isolated: asyncpg.Pool, redis: Redis, relay_log: list[str]
) -> None:
    down = make_settings(database_url=ISOLATED_URL, redis_url=DOWN_REDIS, outbox_poll_interval=0.05)
    async with AsyncTestClient(app=create_app(down)) as client:
        response = await client.post("/trainings", json=training_body(), headers=trainer())
        assert response.status_code == 201, response.text
        ready = await client.get("/trainings/readiness/")
        # Redis is a soft dependency: reported, never a reason to leave the Service.
        assert ready.status_code == 200 and ready.json()["checks"]["redis"] == "unavailable"

        async def relay_failed() -> bool:  # it only reaches Redis when it holds a row
            return any(m.startswith("outbox relay:") for m in relay_log)

        await eventually(relay_failed, "the app's relay to try the row and fail")
    # The row waited in the outbox; a healthy relay sends it, once.
    assert await outbox_counts(isolated) == (1, 0)
    async with healthy_relay(isolated) as relay:
        await all_sent(isolated, "the waiting event to be sent")
        await send_marker(isolated, relay)
    assert await published(redis) == [("training_created_count", "Arm"), ("test_marker", None)]


async def test_a_failing_relay_leaves_rows_for_the_next_attempt(
    isolated: asyncpg.Pool, redis: Redis
) -> None:
    async with isolated.acquire() as conn, conn.transaction():
        await enqueue(conn, SOURCE, "test_metric", "x")
    broken = Redis.from_url(DOWN_REDIS, socket_connect_timeout=0.5)
    try:
        with pytest.raises(RedisError):  # Redis failed while this relay held the row
            await OutboxRelay(isolated, broken, STREAM).publish_batch()
    finally:
        await broken.aclose()
    assert await outbox_counts(isolated) == (1, 0)  # rolled back: still unsent
    async with healthy_relay(isolated) as relay:  # and unlocked: the next attempt sends it
        await all_sent(isolated, "the row to be sent by the next attempt")
        await send_marker(isolated, relay)
    assert await published(redis) == [("test_metric", "x"), ("test_marker", None)]


async def test_sent_rows_are_purged_after_the_retention(db: asyncpg.Connection) -> None:
    await db.execute(
        "INSERT INTO outbox (id, payload, sent_at) VALUES"
        " (gen_random_uuid(), '{}', now() - interval '8 days'),"
        " (gen_random_uuid(), '{}', now() - interval '1 day')"
    )
    pool = await asyncpg.create_pool(DATABASE_URL, min_size=1, max_size=1)
    redis = Redis.from_url(DOWN_REDIS)  # purging needs no Redis
    try:
        await OutboxRelay(pool, redis, STREAM, retention_days=7).purge()
    finally:
        await pool.close()
        await redis.aclose()
    remaining = await db.fetch("SELECT sent_at > now() - interval '2 days' AS recent FROM outbox")
    assert [row["recent"] for row in remaining] == [True]

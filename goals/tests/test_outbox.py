"""Events go into the outbox with the change, and the relay publishes them to the stream."""

import json
import time
from typing import Any

import asyncpg
import pytest
from litestar.testing import AsyncTestClient
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError

from goals.app import create_app
from goals.outbox import OutboxRelay
from tests.helpers import (
    STREAM,
    Client,
    FakeClock,
    create_goal,
    make_settings,
    new_goal,
    set_progress,
    user,
)

DEAD_REDIS = "redis://127.0.0.1:1/3"


def make_relay(db: asyncpg.Pool, redis: Redis) -> OutboxRelay:
    return OutboxRelay(db, redis, STREAM, batch_size=100, poll_interval=1, retention_days=7)


@pytest.fixture
def relay(db: asyncpg.Pool, redis: Redis) -> OutboxRelay:
    """The relay's code on the test's own pool (the app's pools live on the test client's loop)."""
    return make_relay(db, redis)


async def published(redis: Redis) -> list[dict[str, Any]]:
    return [json.loads(fields["event"]) for _, fields in await redis.xrange(STREAM)]


async def next_entry(redis: Redis, after: str, within: float = 60.0) -> str:
    """The id of the stream's first entry after ``after``, once there is one. ``within`` only
    bounds a broken run; it stays far below the relay poll interval the tests set."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        # Blocks of 1 s: the client's socket timeout (5 s) would cut a longer block short.
        entries = await redis.xread({STREAM: after}, count=1, block=1_000)
        if entries:
            entry_id: str = entries[0][1][0][0]
            return entry_id
    pytest.fail(f"nothing was published after {after} within {within} s")


async def test_goal_created_and_completed_events(
    relay: OutboxRelay, client: Client, redis: Redis, clock: FakeClock
) -> None:
    goal = await create_goal(client, metric="steps", objective="100")
    await set_progress(client, goal, "50")  # progress alone publishes nothing
    clock.advance(minutes=1)
    await set_progress(client, goal, "100")
    await set_progress(client, goal, "120")  # already completed: no second event
    assert await relay.publish_batch() == 2
    assert await relay.publish_batch() == 0
    created, completed = await published(redis)
    assert {k: created[k] for k in ("metric", "value", "label", "date", "source")} == {
        "metric": "goal_created_count",
        "value": 1,
        "label": "steps",
        "date": "2026-06-14T12:00:00.000Z",
        "source": "goals",
    }
    assert completed["metric"] == "goal_completed_count" and completed["label"] == "steps"
    assert completed["date"] == "2026-06-14T12:01:00.000Z"
    assert len({created["id"], completed["id"]}) == 2


async def test_reopened_and_completed_again_counts_again(
    relay: OutboxRelay, client: Client, redis: Redis
) -> None:
    goal = await create_goal(client, objective="10")
    await set_progress(client, goal, "10")
    await set_progress(client, goal, "5")
    await set_progress(client, goal, "10")
    await relay.publish_batch()
    metrics = [event["metric"] for event in await published(redis)]
    assert metrics == ["goal_created_count", "goal_completed_count", "goal_completed_count"]


async def test_redis_down_never_fails_the_request_and_events_wait(
    clock: FakeClock, db: asyncpg.Pool, relay: OutboxRelay, redis: Redis
) -> None:
    down = create_app(
        make_settings(redis_url=DEAD_REDIS, upstream_timeout=1.0, outbox_relay_enabled=True),
        clock=clock,
    )
    async with AsyncTestClient(app=down) as client:
        response = await client.post("/goals/5", json=new_goal(), headers=user())
        assert response.status_code == 201
    dead = Redis.from_url(DEAD_REDIS, socket_connect_timeout=1)
    with pytest.raises(RedisConnectionError):
        await make_relay(db, dead).publish_batch()
    await dead.aclose()
    assert await db.fetchval("SELECT count(*) FROM outbox WHERE sent_at IS NULL") == 1
    # Redis is back: the waiting event goes out.
    assert await relay.publish_batch() == 1
    assert [event["metric"] for event in await published(redis)] == ["goal_created_count"]


async def test_the_relay_task_publishes_without_being_asked(clock: FakeClock, redis: Redis) -> None:
    # The relay's own poll never comes during the test: only a commit's wake-up can publish.
    relaying = create_app(
        make_settings(outbox_relay_enabled=True, outbox_poll_interval=3600), clock=clock
    )
    async with AsyncTestClient(app=relaying) as client:
        # The task's first pass, at start-up, may publish this one itself: once it is out, that
        # pass has read the outbox, so the next goal can only go out on the wake-up of its commit.
        await create_goal(client, title="first")
        first = await next_entry(redis, after="0")
        await create_goal(client, title="second")
        await next_entry(redis, after=first)
    assert [event["metric"] for event in await published(redis)] == ["goal_created_count"] * 2


async def test_sent_events_are_purged_after_the_retention(
    relay: OutboxRelay, client: Client, db: asyncpg.Pool
) -> None:
    await create_goal(client)
    await relay.publish_batch()
    await db.execute("UPDATE outbox SET sent_at = now() - interval '8 days'")
    await create_goal(client)
    await relay.purge()
    assert await db.fetchval("SELECT count(*) FROM outbox") == 1

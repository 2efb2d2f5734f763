"""Events go through the outbox: a Redis outage delays them and never fails a request."""

import json
import logging
import re
from collections.abc import Iterator
from typing import Any

import asyncpg
import pytest
from litestar.testing import AsyncTestClient
from redis.asyncio import Redis
from redis.exceptions import RedisError

from tests.helpers import CLOSED_PORT_URL, REDIS_URL, STREAM, eventually, make_settings, profile
from users.app import create_app
from users.outbox import OutboxRelay

ISO_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")


async def unsent(db: asyncpg.Pool) -> int:
    async with db.acquire() as conn:
        count: int = await conn.fetchval("SELECT count(*) FROM outbox WHERE sent_at IS NULL")
    return count


async def stream_events(redis: Redis) -> list[dict[str, Any]]:
    entries = await redis.xrange(STREAM)
    return [json.loads(fields["event"]) for _, fields in entries]


class Recorder(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@pytest.fixture
def relay_log() -> Iterator[list[str]]:
    """What the outbox relay reports. The app logs from its own thread, and its logging set-up
    replaces the root's handlers: listen on the relay's logger itself."""
    recorder = Recorder()
    logger = logging.getLogger("users.outbox")
    logger.addHandler(recorder)
    yield recorder.messages
    logger.removeHandler(recorder)


async def test_events_wait_out_a_redis_outage(
    db: asyncpg.Pool, redis: Redis, relay_log: list[str]
) -> None:
    down = f"redis://{CLOSED_PORT_URL}/1"
    app = create_app(
        make_settings(events_redis_url=down, outbox_poll_interval=0.05, outbox_relay_enabled=True)
    )
    async with AsyncTestClient(app=app) as client:
        response = await client.post("/users", json=profile(location="palermo"))
        assert response.status_code == 201, response.text

        async def relay_failed() -> bool:  # it took the events, and Redis refused them
            return any(m.startswith("outbox relay:") for m in relay_log)

        await eventually(relay_failed, "the app's relay to try the events and fail")
    assert await unsent(db) == 2
    assert await stream_events(redis) == []

    unreachable = Redis.from_url(down)
    back = Redis.from_url(REDIS_URL)
    try:
        with pytest.raises((RedisError, OSError)):  # the batch rolls back: the rows wait
            await OutboxRelay(db, unreachable, STREAM).drain()
        assert await unsent(db) == 2
        assert await OutboxRelay(db, back, STREAM).drain() == 2
    finally:
        await unreachable.aclose()
        await back.aclose()
    assert await unsent(db) == 0
    events = await stream_events(redis)
    assert [(e["metric"], e.get("label")) for e in events] == [
        ("user_created_count", "using_email_password"),
        ("user_by_region_count", "palermo"),
    ]
    for event in events:
        assert set(event) <= {"id", "metric", "value", "label", "date", "source"}
        assert event["value"] == 1 and event["source"] == "users"
        assert ISO_Z.match(event["date"]), event["date"]
        assert len(event["id"]) == 36


async def test_the_running_relay_publishes_on_its_own(db: asyncpg.Pool, redis: Redis) -> None:
    app = create_app(make_settings(outbox_relay_enabled=True))
    async with AsyncTestClient(app=app) as client:
        assert (await client.post("/users", json=profile(location=""))).status_code == 201

        # Published, then marked sent: wait for both while the relay still runs.
        async def sent() -> bool:
            return bool(await stream_events(redis)) and await unsent(db) == 0

        await eventually(sent, "the relay to publish the event")
    events = await stream_events(redis)
    assert [e["metric"] for e in events] == ["user_created_count"]
    assert await unsent(db) == 0

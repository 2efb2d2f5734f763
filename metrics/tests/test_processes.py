"""``metrics-consumer`` as a real process: kill -9 at any moment, SIGTERM, and outages.

Every test ends with the same question: is each published event stored exactly once?
"""

import random
import signal
import sys
from collections.abc import Callable
from functools import partial
from pathlib import Path

import pytest
from pymongo import AsyncMongoClient
from redis.asyncio import Redis

from metrics.db import Collection
from tests.helpers import (
    COLLECTION,
    MONGO_DB,
    STREAM,
    ConsumerProcess,
    Servers,
    answers,
    eventually,
    free_port,
    group_done,
    pending,
    publish_events,
    redis_server,
    stored,
)

Start = Callable[..., ConsumerProcess]


async def stored_exactly(events: Collection, count: int) -> None:
    assert await events.count_documents({}) == count
    [total] = await (
        await events.aggregate([{"$group": {"_id": None, "sum": {"$sum": "$value"}}}])
    ).to_list()
    assert total["sum"] == count


async def test_killed_between_write_and_ack_then_restarted_counts_once(
    events: Collection, redis: Redis, consumer_processes: Start
) -> None:
    await publish_events(redis, 30)
    crashing = consumer_processes("tests.crashing_consumer")
    assert await crashing.wait_exit() == -signal.SIGKILL
    # The first batch reached MongoDB, and Redis never heard about it.
    assert await events.count_documents({}) == 30
    assert await pending(redis) == 30
    restarted = consumer_processes()
    await eventually(lambda: group_done(redis))
    await stored_exactly(events, 30)

    async def replayed_as_duplicates() -> bool:
        health = await restarted.health()
        return health is not None and (health["duplicates"], health["stored"]) == (30, 0)

    await eventually(replayed_as_duplicates)


class Backlog:
    """The events published so far, topped up before each consumer starts so that it has plenty
    left to read. "Plenty" doubles whenever a consumer stores everything before the signal lands:
    no assumption about how fast the consumer (or the machine) is."""

    def __init__(self, redis: Redis, events: Collection) -> None:
        self.redis = redis
        self.events = events
        self.published = 0
        self.size = 500

    async def stored(self) -> int:
        return await self.events.count_documents({})

    async def top_up(self) -> None:
        missing = self.size - (self.published - await self.stored())
        if missing > 0:
            await publish_events(self.redis, missing)
            self.published += missing


async def signal_mid_stream(
    backlog: Backlog, start: Callable[[], ConsumerProcess], sig: signal.Signals, rng: random.Random
) -> tuple[int, bool]:
    """Start a consumer and, once it has stored a random part of the backlog, send it ``sig`` from
    outside; wait for it to exit. Returns its exit code and whether events were still unstored
    when it died (nothing else consumes meanwhile): only then did the signal land mid-stream."""
    await backlog.top_up()
    before = await backlog.stored()
    target = before + rng.randint(1, (backlog.published - before) // 2)
    consumer = start()

    async def reached() -> bool:
        return await backlog.stored() >= target

    await eventually(reached)
    consumer.process.send_signal(sig)
    code = await consumer.wait_exit()
    mid_stream = await backlog.stored() < backlog.published
    if not mid_stream:  # it drained the backlog first: give the next one a bigger backlog
        backlog.size *= 2
    return code, mid_stream


async def test_kill_9_at_random_moments_never_loses_or_double_counts(
    events: Collection, redis: Redis, consumer_processes: Start
) -> None:
    backlog = Backlog(redis, events)
    rng = random.Random(7)
    kills = in_hand = attempts = 0
    # Four deaths in the middle of the stream, each checked as such, and at least one with a batch
    # read and not acknowledged (its successor replays it: the upsert must not count it twice).
    while kills < 4 or in_hand == 0:
        assert attempts < 12, f"{kills} of {attempts} kills mid-stream, {in_hand} with a batch"
        attempts += 1
        batch_size = str(rng.choice((7, 20, 50)))
        victim = partial(consumer_processes, METRICS_CONSUMER_BATCH_SIZE=batch_size)
        code, mid_stream = await signal_mid_stream(backlog, victim, signal.SIGKILL, rng)
        assert code == -signal.SIGKILL
        kills += mid_stream
        in_hand += await pending(redis) > 0
    consumer_processes()
    await eventually(lambda: group_done(redis), within=120)
    await stored_exactly(events, backlog.published)


async def test_sigterm_finishes_the_batch_in_hand_and_exits_0(
    events: Collection, redis: Redis, consumer_processes: Start
) -> None:
    backlog = Backlog(redis, events)
    rng = random.Random(11)
    consumer = partial(consumer_processes, METRICS_CONSUMER_BATCH_SIZE="25")
    for _ in range(8):
        code, mid_stream = await signal_mid_stream(backlog, consumer, signal.SIGTERM, rng)
        assert code == 0
        # Whatever it read it stored and acknowledged: nothing is left pending.
        assert await pending(redis) == 0
        [group] = await redis.xinfo_groups(STREAM)
        assert await backlog.stored() == group["entries-read"]
        if mid_stream:
            break
    else:
        pytest.fail("no SIGTERM landed before the consumer had drained its backlog")
    assert group["lag"] == backlog.published - group["entries-read"] > 0  # the rest waits
    consumer_processes()
    await eventually(lambda: group_done(redis), within=120)
    await stored_exactly(events, backlog.published)


async def backing_off(consumer: ConsumerProcess, step: str) -> bool:
    health = await consumer.health()
    return health is not None and health["state"] == f"backing off ({step})"


async def test_mongodb_outage_backs_off_and_loses_nothing(
    redis: Redis, events: Collection, consumer_processes: Start, private_server: Servers
) -> None:
    port = free_port()
    url = f"mongodb://127.0.0.1:{port}"
    await publish_events(redis, 40)
    consumer = consumer_processes(METRICS_MONGO_URL=url, METRICS_MONGO_TIMEOUT_MS="300")
    await eventually(lambda: backing_off(consumer, "start"))  # indexes cannot be created
    health = await consumer.health()
    assert health is not None and health["alive"] is True  # an outage is no reason to restart
    secantus = str(Path(sys.executable).parent / "secantusd-py")
    private_server(
        [secantus, "--host", "127.0.0.1", "--port", str(port), "--storage-path", ":memory:"]
    )
    await eventually(lambda: group_done(redis), within=120)
    client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(url)
    try:
        assert await client[MONGO_DB][COLLECTION].count_documents({}) == 40
    finally:
        await client.close()
    assert consumer.process.poll() is None


async def test_redis_outage_backs_off_and_recovers(
    events: Collection, consumer_processes: Start, private_server: Servers
) -> None:
    port = free_port()
    url = f"redis://127.0.0.1:{port}/4"
    command = redis_server(port)
    consumer = consumer_processes(METRICS_REDIS_URL=url)
    await eventually(lambda: backing_off(consumer, "start"))
    server = private_server(command)
    private = Redis.from_url(url)
    try:
        await eventually(lambda: answers(private))
        await publish_events(private, 20)
        await eventually(lambda: stored(events, 20))
        # Redis goes away while the consumer blocks on XREADGROUP, then comes back empty.
        server.terminate()
        server.wait()
        await eventually(lambda: backing_off(consumer, "read"))
        private_server(command)
        await eventually(lambda: answers(private))
        await publish_events(private, 5)  # the group is re-created; new events still count
        await eventually(lambda: stored(events, 25))
    finally:
        await private.aclose()
    assert consumer.process.poll() is None

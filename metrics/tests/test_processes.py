"""``metrics-consumer`` as a real process: kill -9 at any moment, SIGTERM, and outages.

Every test ends with the same question: is each published event stored exactly once?
"""

import asyncio
import random
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from pymongo import AsyncMongoClient
from redis.asyncio import Redis
from redis.exceptions import RedisError

from metrics.store import Collection
from tests.conftest import (
    COLLECTION,
    MONGO_DB,
    STREAM,
    ConsumerProcess,
    eventually,
    free_port,
    pending,
    publish_events,
)

Start = Callable[..., ConsumerProcess]
Servers = Callable[[list[str]], subprocess.Popen[bytes]]


async def group_done(redis: Redis) -> bool:
    groups = await redis.xinfo_groups(STREAM)
    return bool(groups) and groups[0]["pending"] == 0 and groups[0]["lag"] == 0


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
    crashing = consumer_processes(METRICS_CONSUMER_FAILPOINT="after_write")
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


async def test_kill_9_at_random_moments_never_loses_or_double_counts(
    events: Collection, redis: Redis, consumer_processes: Start
) -> None:
    total = 1000
    await publish_events(redis, total)
    rng = random.Random(7)
    kills = 0
    while kills < 4 and (before := await events.count_documents({})) < total:
        victim = consumer_processes(METRICS_CONSUMER_BATCH_SIZE=str(rng.choice((7, 20, 50))))

        async def progressed(before: int = before) -> bool:
            return await events.count_documents({}) > before

        await eventually(progressed)  # it is consuming: kill it somewhere in the middle
        await asyncio.sleep(rng.uniform(0, 0.5))
        victim.process.send_signal(signal.SIGKILL)
        assert await victim.wait_exit() == -signal.SIGKILL
        kills += 1
    assert kills >= 2  # at least two deaths in the middle of the stream
    consumer_processes()
    await eventually(lambda: group_done(redis), within=120)
    await stored_exactly(events, total)


async def test_sigterm_finishes_the_batch_in_hand_and_exits_0(
    events: Collection, redis: Redis, consumer_processes: Start
) -> None:
    total = 1000
    await publish_events(redis, total)
    consumer = consumer_processes(METRICS_CONSUMER_BATCH_SIZE="25")

    async def started() -> bool:
        return await events.count_documents({}) > 0

    await eventually(started)
    consumer.process.send_signal(signal.SIGTERM)
    assert await consumer.wait_exit(within=60) == 0
    # Whatever it read it stored and acknowledged: nothing is left pending.
    assert await pending(redis) == 0
    [group] = await redis.xinfo_groups(STREAM)
    stored = await events.count_documents({})
    assert stored == group["entries-read"] and stored < total
    consumer_processes()
    await eventually(lambda: group_done(redis), within=120)
    await stored_exactly(events, total)


@pytest.fixture
def private_server() -> Iterator[Servers]:
    """Start servers of our own (the shared ones are never stopped); killed afterwards."""
    started: list[subprocess.Popen[bytes]] = []

    def start(command: list[str]) -> subprocess.Popen[bytes]:
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
            process.wait()


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
    server = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", ""]
    consumer = consumer_processes(METRICS_REDIS_URL=url)
    await eventually(lambda: backing_off(consumer, "start"))
    redis_server = private_server(server)
    private = Redis.from_url(url)
    try:
        await eventually(lambda: _answers(private))
        await publish_events(private, 20)
        await eventually(lambda: _stored(events, 20))
        # Redis goes away while the consumer blocks on XREADGROUP, then comes back empty.
        redis_server.terminate()
        redis_server.wait()
        await eventually(lambda: backing_off(consumer, "read"))
        private_server(server)
        await eventually(lambda: _answers(private))
        await publish_events(private, 5)  # the group is re-created; new events still count
        await eventually(lambda: _stored(events, 25))
    finally:
        await private.aclose()
    assert consumer.process.poll() is None


async def _answers(redis: Redis) -> bool:
    try:
        return bool(await redis.ping())
    except RedisError:
        return False


async def _stored(events: Collection, count: int) -> bool:
    return await events.count_documents({}) == count

"""``metrics-consumer`` as a real process: kill -9 at any moment, SIGTERM, and outages.

Every test ends with the same question: is each published event counted exactly once, in its
second's document and in every minute, hour, day and month above it?
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
from metrics.rollups import BY_NAME, LEVELS, SECOND
from tests.helpers import (
    MONGO_DB,
    ROLLUPS,
    STREAM,
    ConsumerProcess,
    Servers,
    answers,
    counted_once,
    eventually,
    free_port,
    group_done,
    level_totals,
    pending,
    publish_events,
    redis_server,
    stored,
    stored_events,
)

Start = Callable[..., ConsumerProcess]


@pytest.mark.parametrize("crash_at", ["ack", "minute", "hour", "day", "month"])
async def test_killed_in_the_middle_of_a_write_then_restarted_counts_once(
    crash_at: str, rollups: Collection, redis: Redis, consumer_processes: Start
) -> None:
    await publish_events(redis, 30)
    crashing = consumer_processes("tests.crashing_consumer", CRASH_AT=crash_at)
    assert await crashing.wait_exit() == -signal.SIGKILL
    # The batch is in its seconds, and in the levels below `crash_at` ("ack": none, and Redis
    # never heard of the batch; otherwise the ack went and the copies upwards were under way).
    copied = [] if crash_at == "ack" else LEVELS[: LEVELS.index(BY_NAME[crash_at])]
    assert await level_totals(rollups) == {
        level.name: (30, 30) if level is SECOND or level in copied else (0, 0) for level in LEVELS
    }
    assert await pending(redis) == (30 if crash_at == "ack" else 0)
    restarted = consumer_processes()
    await eventually(lambda: group_done(redis))
    await counted_once(rollups, 30)

    async def replayed_as_duplicates() -> bool:
        health = await restarted.health()
        replayed = 30 if crash_at == "ack" else 0
        return health is not None and (health["duplicates"], health["stored"]) == (replayed, 0)

    await eventually(replayed_as_duplicates)


class Backlog:
    """The events published so far, topped up before each consumer starts so that it has plenty
    left to read. "Plenty" doubles whenever a consumer stores everything before the signal lands:
    no assumption about how fast the consumer (or the machine) is."""

    def __init__(self, redis: Redis, rollups: Collection) -> None:
        self.redis = redis
        self.rollups = rollups
        self.published = 0
        self.size = 500

    async def stored(self) -> int:
        return await stored_events(self.rollups)

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
    rollups: Collection, redis: Redis, consumer_processes: Start
) -> None:
    backlog = Backlog(redis, rollups)
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
    await counted_once(rollups, backlog.published)


async def test_sigterm_finishes_the_batch_in_hand_and_exits_0(
    rollups: Collection, redis: Redis, consumer_processes: Start
) -> None:
    backlog = Backlog(redis, rollups)
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
    await counted_once(rollups, backlog.published)


async def backing_off(consumer: ConsumerProcess, step: str) -> bool:
    health = await consumer.health()
    return health is not None and health["state"] == f"backing off ({step})"


async def test_mongodb_outage_backs_off_and_loses_nothing(
    redis: Redis, rollups: Collection, consumer_processes: Start, private_server: Servers
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
        await counted_once(client[MONGO_DB][ROLLUPS], 40)
    finally:
        await client.close()
    assert consumer.process.poll() is None


async def test_redis_outage_backs_off_and_recovers(
    rollups: Collection, consumer_processes: Start, private_server: Servers
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
        await eventually(lambda: stored(rollups, 20))
        # Redis goes away while the consumer blocks on XREADGROUP, then comes back empty.
        server.terminate()
        server.wait()
        await eventually(lambda: backing_off(consumer, "read"))
        private_server(command)
        await eventually(lambda: answers(private))
        await publish_events(private, 5)  # the group is re-created; new events still count
        await eventually(lambda: stored(rollups, 25))
    finally:
        await private.aclose()
    assert consumer.process.poll() is None

"""The consumer in process, on the real Redis (db 4) and SecantusDB."""

import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import httpx
from redis.asyncio import Redis

from metrics.consumer.health import serve_health
from metrics.consumer.status import ConsumerStatus
from metrics.consumer.worker import Consumer
from metrics.db import Collection
from metrics.events import event_json
from tests.helpers import (
    DEAD,
    MALFORMED,
    STREAM,
    counted_once,
    eventually,
    free_port,
    group_done,
    pending,
    publish,
    publish_events,
    stored,
    stored_entries,
)

Start = Callable[..., Awaitable[Consumer]]


async def test_events_are_stored_once_and_acknowledged(
    rollups: Collection, redis: Redis, run_consumer: Start
) -> None:
    # Published before the group exists: the consumer still counts them (group from id 0).
    await publish_events(redis, 120)
    consumer = await run_consumer()
    await eventually(lambda: stored(rollups, 120))
    await eventually(lambda: _settled(redis, consumer))
    assert consumer.status.stored == 120 and consumer.status.dead_lettered == 0
    await counted_once(rollups, 120)
    # Each event is kept in its second's document, under its label and id, as it was
    # published; the sums of each label and the second beside them.
    document = await rollups.find_one({"lv": "second"})
    assert document is not None
    assert set(document) == {"_id", "lv", "metric", "t", "e", "c", "n", "N"}
    events = list(stored_entries(document))
    assert document["metric"] == "test_count" and document["N"] == len(events)
    assert sum(document["n"].values()) == sum(document["c"].values()) == len(events)
    label, entry = events[0]
    assert label in {"l0", "l1", "l2"} and set(entry) == {"d", "v", "s"}
    assert entry["v"] == 1 and entry["s"] == "metrics" and isinstance(entry["d"], datetime)
    assert document["t"] == entry["d"].replace(microsecond=0)


async def test_a_republished_event_is_counted_once(
    rollups: Collection, redis: Redis, run_consumer: Start
) -> None:
    payload = event_json("user_login_count", label="using_idp")
    await publish(redis, payload, payload)  # a relay that crashed before marking it sent
    consumer = await run_consumer()
    await eventually(lambda: _settled(redis, consumer))
    await publish(redis, payload)  # and once more, later, in another batch
    await eventually(lambda: _settled(redis, consumer))
    await counted_once(rollups, 1)
    assert consumer.status.duplicates == 2


async def test_every_malformed_kind_is_dead_lettered_with_its_reason(
    rollups: Collection, redis: Redis, run_consumer: Start
) -> None:
    ids = []
    for _, fields, _ in MALFORMED:
        if fields:  # XADD cannot add an entry without fields (that kind is a deleted entry)
            ids.append((await redis.xadd(STREAM, fields), fields))  # type: ignore[arg-type]
    await publish_events(redis, 5)
    consumer = await run_consumer()
    await eventually(lambda: _settled(redis, consumer))
    await eventually(lambda: stored(rollups, 5))
    letters = {fields[b"stream_id"]: fields for _, fields in await redis.xrange(DEAD)}
    assert len(letters) == len(ids)
    reasons = {r for _, f, r in MALFORMED if f}
    for entry_id, fields in ids:
        letter = letters[entry_id]
        assert any(letter[b"reason"].decode().startswith(r) for r in reasons)
        assert letter[b"consumer"] == b"test-consumer"
        if b"event" in fields:
            assert letter[b"event"] == fields[b"event"]  # the raw entry, for a replay
        else:
            assert json.loads(letter[b"fields"]) == {"payload": "{}"}
    assert consumer.status.dead_lettered == len(ids)
    # The consumer is still alive and consuming after all that.
    await publish_events(redis, 1)
    await eventually(lambda: stored(rollups, 6))


async def test_a_deleted_pending_entry_is_dead_lettered(
    rollups: Collection, redis: Redis, run_consumer: Start
) -> None:
    await redis.xgroup_create(STREAM, "metrics", id="0", mkstream=True)
    [entry_id] = await publish_events(redis, 1)
    await redis.xreadgroup("metrics", "test-consumer", {STREAM: ">"})
    await redis.xdel(STREAM, entry_id)  # trimmed away while pending
    await run_consumer()
    await eventually(lambda: group_done(redis))
    [(_, letter)] = await redis.xrange(DEAD)
    assert letter[b"reason"].startswith(b"deleted")


async def test_own_pending_entries_are_re_read_at_start(
    rollups: Collection, redis: Redis, run_consumer: Start
) -> None:
    # The previous life of this consumer read them and died before writing.
    await leave_pending(redis, "test-consumer", 30)
    await run_consumer(consumer_claim_idle_ms=3_600_000)  # no claiming: its own pending
    await eventually(lambda: stored(rollups, 30))
    await eventually(lambda: group_done(redis))


async def test_entries_pending_on_a_dead_consumer_are_claimed(
    rollups: Collection, redis: Redis, run_consumer: Start
) -> None:
    await leave_pending(redis, "dead-pod", 40)
    await run_consumer(consumer_claim_idle_ms=300)
    await eventually(lambda: stored(rollups, 40))
    await eventually(lambda: group_done(redis))
    consumers = {c["name"]: c for c in await redis.xinfo_consumers(STREAM, "metrics")}
    assert consumers[b"dead-pod"]["pending"] == 0


async def test_two_consumers_share_the_stream_without_double_counting(
    rollups: Collection, redis: Redis, run_consumer: Start
) -> None:
    await publish_events(redis, 200)
    first = await run_consumer(consumer_name="pod-a")
    second = await run_consumer(consumer_name="pod-b")
    await eventually(lambda: stored(rollups, 200))
    await eventually(lambda: _settled(redis, first, second))
    assert first.status.stored + second.status.stored == 200


async def test_health_endpoint_reports_batches_lag_and_pending(
    rollups: Collection, redis: Redis, run_consumer: Start
) -> None:
    port = free_port()
    started = datetime.now(UTC).replace(microsecond=0)  # last_batch_at has whole seconds
    await run_consumer(consumer_health_port=port, consumer_name="health-pod")
    await publish_events(redis, 10)
    await eventually(lambda: stored(rollups, 10))

    async def reported() -> bool:
        async with httpx.AsyncClient() as http:
            response = await http.get(f"http://127.0.0.1:{port}/health")
        body = response.json()
        return response.status_code == 200 and body["stored"] == 10 and body["lag"] == 0

    await eventually(reported, within=60)
    async with httpx.AsyncClient() as http:
        body = (await http.get(f"http://127.0.0.1:{port}/health")).json()
        missing = await http.get(f"http://127.0.0.1:{port}/nothing")
    assert body["alive"] is True and body["state"] == "running"
    assert body["consumer"] == "health-pod" and body["pending"] == 0
    last_batch = datetime.fromisoformat(body["last_batch_at"])
    assert started <= last_batch <= datetime.now(UTC)  # the batch of this test
    assert missing.status_code == 404


async def leave_pending(redis: Redis, consumer: str, count: int) -> None:
    """Entries delivered to ``consumer`` and never acknowledged: what a crash leaves behind."""
    await redis.xgroup_create(STREAM, "metrics", id="0", mkstream=True)
    await publish_events(redis, count)
    await redis.xreadgroup("metrics", consumer, {STREAM: ">"}, count=count)
    assert await pending(redis) == count


async def _settled(redis: Redis, *consumers: Consumer) -> bool:
    """Every entry the group delivered is acknowledged and in the consumers' counters: a consumer
    acknowledges a batch before it counts it, so "nothing pending" alone races its status."""
    groups = await redis.xinfo_groups(STREAM)
    if not groups or groups[0]["pending"] or groups[0]["lag"]:
        return False
    counted = sum(c.status.stored + c.status.duplicates + c.status.dead_lettered for c in consumers)
    return bool(counted == groups[0]["entries-read"])


async def test_health_fails_when_the_loop_stops_turning() -> None:
    # The loop's last turn is set, not waited for: a window far longer than any request, so only
    # the state decides (a slow start-up cannot make a turning loop look hung, nor the reverse).
    status = ConsumerStatus("hung-pod", liveness_seconds=60)
    port = free_port()
    server = await serve_health(status, "127.0.0.1", port)
    try:
        async with httpx.AsyncClient() as http:
            status.tick("running")
            turning = await http.get(f"http://127.0.0.1:{port}/health")
            status.last_loop -= 60  # no tick for a whole window: a hung loop
            hung = await http.get(f"http://127.0.0.1:{port}/health")
            status.tick("backing off (write)")  # an outage still turns the loop
            waiting = await http.get(f"http://127.0.0.1:{port}/health")
    finally:
        server.close()
        await server.wait_closed()
    assert turning.status_code == 200 and turning.json()["alive"] is True
    assert hung.status_code == 503 and hung.json()["alive"] is False
    assert hung.json()["seconds_since_loop"] >= 60
    assert waiting.status_code == 200 and waiting.json()["state"] == "backing off (write)"

"""The backfill (metrics.consumer.backfill) on the real SecantusDB and Redis: what the consumer
stored before the rollups, one document per event in the legacy collection, is counted once,
however often the backfill runs, wherever it was interrupted, and whatever the stream
redelivers meanwhile."""

import random
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from redis.asyncio import Redis

from metrics.consumer.backfill import PROGRESS, backfill
from metrics.consumer.repository import record, settle
from metrics.consumer.worker import Consumer
from metrics.counters import repository
from metrics.counters.models import Window
from metrics.db import Collection
from metrics.events import Event, event_json
from tests.helpers import counted_once, event, eventually, group_done, publish, stored

Start = Callable[..., Awaitable[Consumer]]
SINCE = datetime(2026, 10, 1, tzinfo=UTC)


def old_events(count: int, seed: int = 1) -> list[Event]:
    rng = random.Random(seed)
    return [
        event(
            "user_login_count",
            rng.choice(["using_idp", "using_email_password"]),
            SINCE + timedelta(milliseconds=rng.randrange(40 * 86_400_000)),
        )
        for _ in range(count)
    ]


def legacy_document(e: Event) -> dict[str, Any]:
    """The document the consumer wrote for an event before the rollups."""
    return {
        "_id": e.id,
        "metric": e.metric,
        "value": e.value,
        "label": e.label,
        "date": e.date,
        "source": e.source,
    }


async def logins(rollups: Collection) -> dict[str, float]:
    rows = await repository.counts_by_label(rollups, "user_login_count", Window())
    return {row["label"]: row["count"] for row in rows}


def expected(events: list[Event]) -> dict[str, float]:
    sums: dict[str, float] = {}
    for e in events:
        sums[e.label or "total"] = sums.get(e.label or "total", 0) + e.value
    return sums


async def test_the_backfill_counts_the_legacy_events_once_however_often_it_runs(
    legacy: Collection, rollups: Collection
) -> None:
    events = old_events(130)
    await legacy.insert_many([legacy_document(e) for e in events])
    assert await backfill(legacy, rollups, batch_size=40) == 130
    await settle(rollups)
    await counted_once(rollups, 130)
    assert await logins(rollups) == expected(events)
    assert await backfill(legacy, rollups, batch_size=40) == 0  # done: nothing changed
    assert await backfill(legacy, rollups, batch_size=40, restart=True) == 130  # by hand
    assert await settle(rollups) == 0  # it added nothing
    await counted_once(rollups, 130)


async def test_an_interrupted_backfill_resumes_and_meets_the_stream_without_double_counting(
    legacy: Collection, rollups: Collection
) -> None:
    events = sorted(old_events(90), key=lambda e: e.id)  # the backfill's order
    await legacy.insert_many([legacy_document(e) for e in events])
    # A first run died after its first 50 (its progress says so), and the stream redelivered
    # some of the events too (pending at the upgrade).
    await record(rollups, events[:50])
    await rollups.insert_one({"_id": PROGRESS, "lv": PROGRESS, "after": events[49].id})
    await record(rollups, events[40:60])
    assert await backfill(legacy, rollups, batch_size=25) == 40  # from where it stopped
    await settle(rollups)
    await counted_once(rollups, 90)
    assert await logins(rollups) == expected(events)


async def test_a_changed_legacy_collection_is_gone_through_again(
    legacy: Collection, rollups: Collection
) -> None:
    events = old_events(30)
    await legacy.insert_many([legacy_document(e) for e in events[:20]])
    assert await backfill(legacy, rollups, batch_size=50) == 20
    # Written by a consumer of the old version after the backfill (a restored dump, say).
    await legacy.insert_many([legacy_document(e) for e in events[20:]])
    assert await backfill(legacy, rollups, batch_size=50) == 30
    await settle(rollups)
    await counted_once(rollups, 30)
    assert await logins(rollups) == expected(events)


async def test_the_consumer_backfills_at_start_and_counts_redelivered_events_once(
    legacy: Collection, rollups: Collection, redis: Redis, run_consumer: Start
) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    events = [event("user_login_count", "using_idp", now - timedelta(days=n)) for n in range(12)]
    await legacy.insert_many([legacy_document(e) for e in events[:8]])
    # Events 4 to 7 were stored by the old consumer and are still pending in the stream; 8 to 11
    # were never stored.
    payloads = [
        event_json(e.metric, e.value, e.label, e.date, e.source, event_id=e.id) for e in events[4:]
    ]
    await publish(redis, *payloads)
    await run_consumer()
    await eventually(lambda: group_done(redis))
    await counted_once(rollups, 12)
    assert await logins(rollups) == {"using_idp": 12}


async def test_what_an_old_consumer_stores_meanwhile_is_backfilled_too(
    legacy: Collection, rollups: Collection, run_consumer: Start
) -> None:
    """A rolling update: the consumer of the old version still writes for a while."""
    await run_consumer()
    events = old_events(15)
    await legacy.insert_many([legacy_document(e) for e in events])
    await eventually(lambda: stored(rollups, 15))
    await counted_once(rollups, 15)
    assert await logins(rollups) == expected(events)

"""The upgrade of a 1.3.0 store (metrics.consumer.upgrade) on the real SecantusDB and Redis: the
rollups 1.3.0 wrote (one document per metric and label and period, built here by 1.3.0's own
code, tests/v130.py) are converted into the new layout, each event counted once at every level
and in every answer, however the upgrade is interrupted, whatever the stream redelivers and
whatever a consumer of 1.3.0 writes meanwhile; reads never fail nor count twice while it runs;
a fresh store needs none."""

import random
import signal
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from redis.asyncio import Redis

from metrics.consumer.repository import record, settle
from metrics.consumer.upgrade import OLD, pending, remove, upgrade
from metrics.consumer.worker import Consumer
from metrics.counters import repository
from metrics.counters.models import Window
from metrics.db import Collection
from metrics.events import Event, event_json
from metrics.rollups import LEVELS, SECOND
from tests import v130
from tests.helpers import (
    ConsumerProcess,
    event,
    eventually,
    group_done,
    level_totals,
    publish,
    settled,
)
from tests.test_rollups import (
    METRICS,
    boundary_events,
    expected_counts,
    expected_names,
    expected_series,
    windows,
)

Start = Callable[..., Awaitable[Consumer]]
Processes = Callable[..., ConsumerProcess]


async def store_130(rollups: Collection, events: list[Event], dirty: int = 0) -> int:
    """The store a 1.3.0 consumer left with ``events`` recorded and copied upwards, its first
    ``dirty`` minutes still marked dirty (written after its last copy upwards). Returns how many
    documents it holds."""
    built = list(v130.documents(events))
    minutes = [d for d in built if d["lv"] == "minute"]
    for document in minutes[:dirty]:
        document["dirty"] = True
    await rollups.insert_many(built)
    return len(built)


async def old_documents(rollups: Collection) -> int:
    return await rollups.count_documents(OLD)


async def upgraded(rollups: Collection) -> bool:
    return await old_documents(rollups) == 0 and await settled(rollups)


async def answers_as(rollups: Collection, events: list[Event], rng: random.Random) -> None:
    """Every answer, over every kind of window, is what summing ``events`` gives."""
    for window in [Window(), *rng.sample(windows(rng), 12)]:
        for metric in METRICS:
            assert await repository.counts_by_label(rollups, metric, window) == expected_counts(
                events, metric, window
            ), window
            for unit in ("day", "week", "month"):
                assert await repository.series(rollups, metric, window, unit) == expected_series(
                    events, metric, window, unit
                ), (window, unit)
        assert await repository.metric_names(rollups, window) == expected_names(events, window)


async def exact_at_every_level(rollups: Collection, events: list[Event]) -> None:
    """Once converted and copied upwards: each event once in its minute, hour, day and month."""
    await eventually(lambda: upgraded(rollups))
    total = sum(e.value for e in events)
    assert await level_totals(rollups) == {level.name: (total, len(events)) for level in LEVELS}


async def test_a_130_store_is_converted_and_answers_exactly_as_before(
    rollups: Collection,
) -> None:
    rng = random.Random(130)
    events = boundary_events(rng, 150)
    await store_130(rollups, events, dirty=5)
    assert await pending(rollups)
    # Before the upgrade the 1.3.0 documents are passed over: no answer fails, none counts them.
    assert await repository.metric_names(rollups, Window()) == []
    assert await repository.counts_by_label(rollups, METRICS[0], Window()) == []
    assert await settle(rollups) == 0  # its dirty minutes are the upgrade's, not copied
    assert await upgrade(rollups, batch_size=20) == len(events)
    assert not await pending(rollups)
    await settle(rollups)
    await exact_at_every_level(rollups, events)
    await answers_as(rollups, events, rng)
    assert await upgrade(rollups, batch_size=20) == 0  # done: nothing left


async def test_reads_while_the_upgrade_runs_count_what_is_recorded_once(
    rollups: Collection,
) -> None:
    """Part of the store re-recorded and not yet removed (an upgrade killed there), and the
    stream redelivering events of the store: the answers count those once, and the rest when the
    upgrade has run."""
    rng = random.Random(131)
    events = boundary_events(rng, 100)
    await store_130(rollups, events)
    recorded = events[: len(events) // 2]
    await record(rollups, recorded)
    await record(rollups, events[10:30])  # redelivered by the stream
    await settle(rollups)
    await answers_as(rollups, recorded, rng)
    assert await old_documents(rollups) > 0
    assert await upgrade(rollups, batch_size=15) == len(events)
    await settle(rollups)
    await exact_at_every_level(rollups, events)
    await answers_as(rollups, events, rng)


async def test_a_130_minute_changed_after_it_was_read_is_kept_then_converted(
    rollups: Collection,
) -> None:
    """A consumer of 1.3.0 still running adds an event to a minute the upgrade has read: that
    minute is not removed with what was read, and the next turn records the new event."""
    moment = datetime(2026, 11, 5, 10, 30, tzinfo=UTC)
    events = [event("m", "using_idp", moment + timedelta(seconds=n)) for n in range(3)]
    await store_130(rollups, events)
    [minute] = await rollups.find({**OLD, "lv": "minute"}).to_list()
    late = event("m", "using_idp", moment + timedelta(seconds=40))
    await rollups.update_one(*v130.add_events(v130.minute_key(late), {late.id: late}))
    assert await remove(rollups, [minute]) == 0  # as read: it held three events
    assert await upgrade(rollups, batch_size=10) == 4
    await settle(rollups)
    await exact_at_every_level(rollups, [*events, late])


async def test_a_fresh_store_needs_no_upgrade(rollups: Collection) -> None:
    assert not await pending(rollups)
    assert await upgrade(rollups, batch_size=10) == 0
    rng = random.Random(132)
    events = boundary_events(rng, 50)
    await record(rollups, events)
    await settle(rollups)
    before = await rollups.find().sort("_id", 1).to_list()
    assert not await pending(rollups)
    assert await upgrade(rollups, batch_size=10) == 0
    assert await rollups.find().sort("_id", 1).to_list() == before


def payload(e: Event) -> str:
    return event_json(e.metric, e.value, e.label, e.date, e.source, event_id=e.id)


def recent_events(count: int, rng: random.Random) -> list[Event]:
    now = datetime.now(UTC).replace(microsecond=0)
    return [
        Event(
            str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            rng.choice(METRICS),
            rng.choice((1, 2, 0.5)),
            rng.choice(("using_idp", None)),
            now - timedelta(minutes=rng.randrange(5 * 24 * 60), milliseconds=rng.randrange(60_000)),
            "test",
        )
        for _ in range(count)
    ]


async def test_the_consumer_upgrades_at_start_and_counts_redelivered_events_once(
    rollups: Collection, redis: Redis, run_consumer: Start
) -> None:
    rng = random.Random(133)
    events = recent_events(60, rng)
    await store_130(rollups, events[:40], dirty=3)
    # 30 to 39 were recorded by the 1.3.0 consumer and are still pending in the stream; 40 to 59
    # were never recorded.
    await publish(redis, *(payload(e) for e in events[30:]))
    await run_consumer()
    await eventually(lambda: group_done(redis))
    await exact_at_every_level(rollups, events)
    await answers_as(rollups, events, rng)


async def test_what_a_130_consumer_writes_meanwhile_is_upgraded_too(
    rollups: Collection, run_consumer: Start
) -> None:
    """A rolling update: the consumer of 1.3.0 still writes its layout for a while."""
    rng = random.Random(134)
    events = recent_events(20, rng)
    await run_consumer()
    for key, group in v130.group_by_minute(events).items():
        await rollups.update_one(*v130.add_events(key, group), upsert=True)
    await exact_at_every_level(rollups, events)
    await answers_as(rollups, events, rng)


async def test_killed_in_the_middle_of_the_upgrade_then_restarted_counts_once(
    rollups: Collection, redis: Redis, consumer_processes: Processes
) -> None:
    rng = random.Random(135)
    events = recent_events(120, rng)
    held = await store_130(rollups, events[:100], dirty=4)
    await publish(redis, *(payload(e) for e in events[90:]))  # some redelivered, some new
    crashing = consumer_processes(
        "tests.crashing_consumer", CRASH_AT="upgrade", METRICS_CONSUMER_BATCH_SIZE="10"
    )
    assert await crashing.wait_exit() == -signal.SIGKILL
    # Killed with its first batch removed and its second recorded, not removed.
    assert 0 < await old_documents(rollups) < held
    # Meanwhile the answers count what it recorded, each event once.
    await settle(rollups)
    recorded = await recorded_ids(rollups)
    assert 0 < len(recorded) < 100
    by_id = {e.id: e for e in events}
    await answers_as(rollups, [by_id[i] for i in recorded], rng)
    consumer_processes(METRICS_CONSUMER_BATCH_SIZE="10")
    await eventually(lambda: group_done(redis))
    await exact_at_every_level(rollups, events)
    await answers_as(rollups, events, rng)


async def recorded_ids(rollups: Collection) -> list[str]:
    """The ids the second documents of the new layout hold (each once: a list, not a set)."""
    ids: list[str] = []
    async for document in rollups.find({"lv": SECOND.name}):
        labels: dict[str, dict[str, object]] = document["e"]  # type: ignore[assignment]
        ids += [i for events in labels.values() for i in events]
    return ids

"""The rollups on the real SecantusDB: the consumer's write (metrics.consumer.repository.record)
and the counters' reads (metrics.counters.repository), checked against the events themselves.

The oracle is the old definition, computed here in Python from the events: a window keeps the
events with ``start <= date < end``, summed per label (or per label and UTC day, ISO week or
month). The events straddle every kind of boundary (a minute, an hour, a day, a Monday, a month),
and so do the windows, to the millisecond."""

import asyncio
import random
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from metrics.consumer.repository import WriteResult, record, settle
from metrics.counters import repository
from metrics.counters.models import Interval, Window
from metrics.db import Collection
from metrics.events import Event
from metrics.rollups import documents
from tests.helpers import counted_once, event, level_totals

# Sunday 1 November 2026 00:00 UTC: a month starts, and a week the next day.
BOUNDARY = datetime(2026, 11, 1, tzinfo=UTC)
MS = timedelta(milliseconds=1)
METRICS = ("user_login_count", "distance_km")
LABELS = ("using_idp", "using_email_password", None)
VALUES = (1, 2, 0.5, 0.25)  # sums of these are exact in any order


def boundary_events(rng: random.Random, count: int) -> list[Event]:
    """Events on, and a millisecond either side of, every kind of boundary near BOUNDARY, and
    at random within three days of it."""
    edges = [
        BOUNDARY + timedelta(days=d, hours=h, minutes=m)
        for d in (-1, 0, 1)
        for h in (0, 13)
        for m in (0, 59)
    ]
    moments = [edge + shift for edge in edges for shift in (-MS, timedelta(0), MS)]
    moments += [
        BOUNDARY + MS * rng.randrange(-3 * 86_400_000, 3 * 86_400_000) for _ in range(count)
    ]
    return [
        event(rng.choice(METRICS), rng.choice(LABELS), moment, rng.choice(VALUES))
        for moment in moments
    ]


def inside(events: list[Event], window: Window) -> list[Event]:
    return [
        e
        for e in events
        if (window.start is None or window.start <= e.date)
        and (window.end is None or e.date < window.end)
    ]


def expected_counts(events: list[Event], metric: str, window: Window) -> list[dict[str, Any]]:
    sums: dict[str, float] = {}
    for e in inside(events, window):
        if e.metric == metric:
            sums[e.label or "total"] = sums.get(e.label or "total", 0) + e.value
    return [{"label": k, "count": v} for k, v in sorted(sums.items(), key=lambda i: (-i[1], i[0]))]


def first_day(moment: datetime, unit: Interval) -> date:
    day = moment.date()
    if unit == "week":
        return day - timedelta(days=day.weekday())
    return day.replace(day=1) if unit == "month" else day


def expected_series(
    events: list[Event], metric: str, window: Window, unit: Interval
) -> list[dict[str, Any]]:
    sums: dict[tuple[date, str], float] = {}
    for e in inside(events, window):
        if e.metric == metric:
            key = (first_day(e.date, unit), e.label or "total")
            sums[key] = sums.get(key, 0) + e.value
    rows = sorted(sums.items(), key=lambda i: (i[0][0], -i[1], i[0][1]))
    return [{"label": k[1], "date": k[0].isoformat(), "count": v} for k, v in rows]


def expected_names(events: list[Event], window: Window) -> list[dict[str, Any]]:
    sums: dict[str, list[float]] = {}
    for e in inside(events, window):
        total = sums.setdefault(e.metric, [0, 0])
        total[0] += e.value
        total[1] += 1
    return [{"name": k, "count": v[0], "events": v[1]} for k, v in sorted(sums.items())]


def windows(rng: random.Random) -> list[Window]:
    """Open, one-sided and closed windows: ends on boundaries of each kind, a millisecond off
    them, and anywhere, to the millisecond; short ones inside a minute too."""
    ends: list[datetime | None] = [None]
    for unit in (timedelta(minutes=1), timedelta(hours=1), timedelta(days=1)):
        base = BOUNDARY + unit * rng.randrange(-30, 30)
        ends += [base, base + MS]
    ends += [BOUNDARY, BOUNDARY - MS, BOUNDARY - timedelta(days=31)]
    ends += [BOUNDARY + MS * rng.randrange(-4 * 86_400_000, 4 * 86_400_000) for _ in range(3)]
    found = [Window(start, end) for start in ends for end in ends]
    moment = BOUNDARY + timedelta(hours=13, seconds=5)
    found += [Window(moment, moment + timedelta(seconds=20)), Window(moment, moment + MS)]
    return [w for w in found if w.start is None or w.end is None or w.start < w.end]


async def test_every_window_and_interval_agrees_with_the_events(rollups: Collection) -> None:
    rng = random.Random(16)
    events = boundary_events(rng, 400)
    for i in range(0, len(events), 97):  # several batches, as the stream delivers them
        await record(rollups, events[i : i + 97])
    await settle(rollups)
    checked = 0
    for window in windows(rng):
        metric, unit = rng.choice(METRICS), rng.choice(("day", "week", "month"))
        assert await repository.counts_by_label(rollups, metric, window) == expected_counts(
            events, metric, window
        ), window
        assert await repository.series(rollups, metric, window, unit) == expected_series(
            events, metric, window, unit
        ), (window, unit)
        assert await repository.metric_names(rollups, window) == expected_names(events, window)
        checked += 1
    assert checked > 80


async def test_what_the_consumer_writes_is_what_the_seed_builds(rollups: Collection) -> None:
    """The benchmark seeds with `documents`: it must be exactly what recording the same events
    leaves, however they are batched and redelivered."""
    rng = random.Random(3)
    events = boundary_events(rng, 200)
    batches, i = [], 0
    while i < len(events):
        size = rng.randint(1, 60)
        batch = events[i : i + size]
        # A redelivery of a part of what came before, and a repeat within the batch.
        batch += rng.sample(events[:i], min(i, rng.randint(0, 10))) + batch[:1]
        batches.append(batch)
        i += size
    for n, batch in enumerate(batches):
        await record(rollups, batch)
        if n % 3 == 0:  # passes between some of the batches, as the consumer's timer allows
            await settle(rollups)
    await settle(rollups)
    stored = {d["_id"]: d for d in await rollups.find({}).to_list()}
    assert stored == {d["_id"]: d for d in documents(events)}


async def test_a_replay_counts_once_however_the_batch_is_cut(rollups: Collection) -> None:
    minute = BOUNDARY + timedelta(hours=3)
    first = [event("m", "a", minute + timedelta(seconds=s)) for s in range(20)]
    later = [event("m", "a", minute + timedelta(seconds=20 + s)) for s in range(10)]
    assert await record(rollups, first) == WriteResult(20, 0)
    await settle(rollups)
    # Redelivered in other batches: half alone, then the rest mixed with new events.
    assert await record(rollups, first[:10]) == WriteResult(0, 10)
    assert await record(rollups, first[5:] + later) == WriteResult(10, 15)
    await settle(rollups)
    await counted_once(rollups, 30)
    assert await repository.counts_by_label(rollups, "m", Window()) == [{"label": "a", "count": 30}]


async def test_writers_at_once_count_each_event_once(rollups: Collection) -> None:
    """Two consumers with the same events in hand (one claimed the other's after a stall), and
    others writing the same minutes, while passes copy upwards: the guard and the forward-only
    copies settle on exact counts."""
    rng = random.Random(5)
    minute = BOUNDARY + timedelta(hours=7, minutes=30)
    events = [
        event("m", rng.choice("ab"), minute + MS * rng.randrange(120_000)) for _ in range(300)
    ]
    batches = [rng.sample(events, 120) for _ in range(8)] + [events[i::4] for i in range(4)]
    writes = asyncio.gather(*(record(rollups, batch) for batch in batches))
    passes = asyncio.gather(*(settle(rollups) for _ in range(4)))
    results, _ = await asyncio.gather(writes, passes)
    assert sum(result.stored for result in results) == len(events)
    await settle(rollups)
    await counted_once(rollups, len(events))
    [a, b] = sorted(
        await repository.counts_by_label(rollups, "m", Window()), key=lambda r: r["label"]
    )
    assert (a["count"], b["count"]) == tuple(sum(1 for e in events if e.label == x) for x in "ab")


@pytest.mark.parametrize(
    "shift",
    [
        lambda t: t.replace(second=0, microsecond=0),  # on a minute
        lambda t: t.replace(minute=0, second=0, microsecond=0),  # on an hour
        lambda t: t.replace(hour=0, minute=0, second=0, microsecond=0),  # on a day
    ],
)
async def test_the_start_is_inclusive_and_the_end_exclusive_on_each_kind_of_boundary(
    rollups: Collection, shift: Callable[[datetime], datetime]
) -> None:
    start = shift(BOUNDARY + timedelta(days=2, hours=5, minutes=7, seconds=9))
    end = start + timedelta(days=1)
    events = [event("m", None, start - MS), event("m", None, start), event("m", None, end - MS)]
    events.append(event("m", None, end))
    await record(rollups, events)
    await settle(rollups)
    assert await repository.counts_by_label(rollups, "m", Window(start, end)) == [
        {"label": "total", "count": 2}
    ]
    assert await level_totals(rollups) == {
        lv: (4, 4) for lv in ("second", "minute", "hour", "day", "month")
    }

"""`make bench`: the counters' reads at 1 000 000 events against 1 000, their ceiling, and the
consumer against the server's raw write rate, printed in one run as ratios.

1. Seeds two MongoDB databases, `fiufit_bench_metrics_small` (BENCH_SMALL events, 1 000) and
   `fiufit_bench_metrics_large` (BENCH_LARGE, 1 000 000), spread at random over the last
   BENCH_SPAN_DAYS days (1), half over the five back-office counters and half over three other
   metrics. The seed writes the rollup documents straight into the store, in bulk: the very
   documents the consumer's write leaves for those events (`metrics.rollups.documents`; a test
   checks both agree), so a million events (about 640 000 documents, mostly seconds) take a
   few minutes, not the consumer's hour. One day makes every minute of every label hold events
   at 1 000 000: the documents a window's ends cut are as full as they get, which is the read's
   worst case.
2. Serves the service on each database (bench/wrk.py `serve`, the entry point's settings) and,
   for each shape of `GET /metrics` the API accepts (no window, each `interval`, a `from` date, a
   `to` date, date-times that cut a minute at both ends, with and without `interval`, empty
   bounds), over the five back-office names, compares the large one against the small one
   (bench/wrk.py `compare`: the two sides alternately, BENCH_SHAPE_ROUNDS rounds (5) of
   BENCH_SHAPE_SECONDS (1)): goal within 1.5x of the time at 1 000, a rate ratio of at least
   0.67.
3. The read ceiling: `GET /metrics?name=` with an admin token against a bare Litestar app running
   the same query (bench/reference.py), both on the large database, BENCH_ROUNDS rounds of
   BENCH_SECONDS: goal 0.8.
4. The consumer end to end (XADD'ed first, then Redis → consumer → MongoDB → XACK), against the
   server's raw bulk upsert of the same number of events (one document each, batches of 500, as
   the consumer wrote before the rollups), alternately, BENCH_CONSUMER_ROUNDS rounds of
   BENCH_CONSUMER_EVENTS (2 000): goal 0.8, with live events (dated now, as a stream delivers
   them). With BENCH_SCATTERED=1, once more with events scattered over 90 days (every event its
   own minute, hour and day: the rollups' worst case, as a backfill in id order; no goal).

Uses a stream of its own in Redis db 4, the MongoDB databases `fiufit_bench_metrics*` (dropped at
the end), and the running authentication service for an admin token. Figures depend on the
machine; this prints them and asserts nothing.

    make bench                                                  # about 15 minutes
    BENCH_LARGE=100000 BENCH_SECONDS=2 BENCH_ROUNDS=1 BENCH_CONSUMER_ROUNDS=1 make bench
"""

import asyncio
import json
import os
import random
import statistics
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from pymongo import AsyncMongoClient, UpdateOne
from pymongo.errors import BulkWriteError
from redis.asyncio import Redis

from metrics.consumer.__main__ import open_consumer
from metrics.db import ensure_indexes
from metrics.events import Event, event_json
from metrics.rollups import documents
from metrics.settings import Settings

sys.path.insert(0, str(Path(__file__).resolve().parent))
import wrk

REDIS_URL = os.environ.get("METRICS_BENCH_REDIS_URL", "redis://127.0.0.1:6379/4")
MONGO_URL = os.environ.get("METRICS_BENCH_MONGO_URL", "mongodb://127.0.0.1:27017")
AUTH_URL = os.environ.get("METRICS_AUTH_URL", "http://127.0.0.1:8002")
SERVICE_TOKEN = os.environ.get("METRICS_BENCH_SERVICE_TOKEN", "fiufit-local-service-token")
SMALL = int(os.environ.get("BENCH_SMALL", "1000"))
LARGE = int(os.environ.get("BENCH_LARGE", "1000000"))
SPAN = timedelta(days=float(os.environ.get("BENCH_SPAN_DAYS", "1")))
# Each shape: more, shorter alternations than the ceiling's (BENCH_ROUNDS of BENCH_SECONDS, as
# every bench), so that a neighbour's burst of load weighs on both sides alike.
SHAPE_SECONDS = float(os.environ.get("BENCH_SHAPE_SECONDS", "1"))
SHAPE_ROUNDS = int(os.environ.get("BENCH_SHAPE_ROUNDS", "5"))
CONSUMER_EVENTS = int(os.environ.get("BENCH_CONSUMER_EVENTS", "2000"))
CONSUMER_ROUNDS = int(os.environ.get("BENCH_CONSUMER_ROUNDS", "3"))
SCATTERED = os.environ.get("BENCH_SCATTERED") == "1"
BATCH = 500  # the consumer's default batch, and the raw upsert's
DATABASE = "fiufit_bench_metrics"
COLLECTION = "metrics"  # METRICS_MONGO_COLLECTION's default: the rollups are metrics_rollups
STREAM = f"fiufit:events:bench-{uuid.uuid4().hex[:8]}"  # never the test runs' streams
BACK_OFFICE = [
    ("user_login_count", ["using_email_password", "using_idp"]),
    ("user_created_count", ["using_email_password", "using_idp"]),
    ("user_by_region_count", ["Palermo", "Belgrano", "Caballito", "Almagro", "Recoleta"]),
    ("user_blocked_count", [None]),
    ("user_password_recovery_count", [None]),
]
OTHERS = [("training_created_count", ["l0", "l1"]), ("goal_created_count", ["l0", "l1"])]
OTHERS += [("payment_confirmed_count", [None])]
FLAT = 1 / 1.5  # within 1.5x of the time at SMALL: a rate at least 1/1.5 of it
NOW = datetime.now(UTC)  # the seeds' events lie in the SPAN before it, the shapes' windows too


def bench_events(count: int, now: datetime) -> Iterator[Event]:
    """``count`` events at random over SPAN before ``now``: half the back office's, half not."""
    rng = random.Random(count)
    span_ms = int(SPAN.total_seconds() * 1000)
    for n in range(count):
        kinds = OTHERS if n % 2 else BACK_OFFICE
        metric, labels = kinds[(n // 2) % len(kinds)]
        date = now - timedelta(milliseconds=rng.randrange(span_ms))
        yield Event(
            id=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            metric=metric,
            value=1,
            label=labels[(n // 10) % len(labels)],
            date=date.replace(microsecond=date.microsecond // 1000 * 1000),
            source="bench",
        )


async def insert(collection: Any, documents: list[dict[str, Any]]) -> int:
    """Inserts them; those already there count as inserted (a busy server may answer a write it
    did with a retryable error, and PyMongo's retry then finds the documents there)."""
    if not documents:
        return 0
    try:
        await collection.insert_many(documents, ordered=False)
    except BulkWriteError as error:
        if any(e.get("code") != 11000 for e in error.details.get("writeErrors", [])):
            raise
    return len(documents)


async def seed(mongo: AsyncMongoClient[dict[str, Any]], database: str, count: int) -> None:
    """The rollups of ``count`` events, written in bulk as the consumer would have left them."""
    await mongo.drop_database(database)
    rollups = mongo[database][f"{COLLECTION}_rollups"]
    await ensure_indexes(rollups)
    started = time.perf_counter()
    written = 0
    batch: list[dict[str, Any]] = []
    for document in documents(bench_events(count, NOW)):
        batch.append(document)
        if len(batch) == 1000:
            written += await insert(rollups, batch)
            batch = []
    written += await insert(rollups, batch)
    print(
        f"seeded {database}: {count:,} events in {written:,} rollup documents,"
        f" {time.perf_counter() - started:.0f} s",
        flush=True,
    )


def admin_token() -> dict[str, str]:
    request = urllib.request.Request(
        f"{AUTH_URL}/auth/token",
        data=b'{"role": "admin", "id": 1}',
        headers={"X-Service-Token": SERVICE_TOKEN, "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        return {"Authorization": f"Bearer {json.load(answer)['data']}"}


def service_env(database: str) -> dict[str, str]:
    """The service as deployed (default settings) on ``database``; no metrics listener, so
    several instances can run side by side."""
    return {
        "METRICS_MONGO_URL": MONGO_URL,
        "METRICS_MONGO_DATABASE": database,
        "METRICS_MONGO_COLLECTION": COLLECTION,
        "METRICS_REDIS_URL": REDIS_URL,
        "METRICS_AUTH_URL": AUTH_URL,
        "METRICS_PROMETHEUS_PORT": "0",
    }


def shapes(now: datetime) -> list[tuple[str, str]]:
    """Each shape of ``GET /metrics`` the API accepts (README), as a query after ``name=``."""
    day = (now - SPAN / 2).date().isoformat()
    # Mid-minute at both ends: a UTC date-time with milliseconds, and one with an offset.
    start = (now - SPAN * 0.8).replace(second=17, microsecond=123_000)
    end = (now - SPAN * 0.1).replace(second=41).astimezone(timezone(timedelta(hours=-3)))
    cut = (
        f"from={start.isoformat(timespec='milliseconds').replace('+00:00', 'Z')}"
        f"&to={end.isoformat(timespec='seconds')}"
    )
    return [
        ("no window (the back office)", ""),
        ("interval=day", "&interval=day"),
        ("interval=week", "&interval=week"),
        ("interval=month", "&interval=month"),
        ("from a date", f"&from={day}"),
        ("to a date", f"&to={day}"),
        ("from and to date-times cutting minutes", f"&{cut}"),
        ("the same, interval=day", f"&{cut}&interval=day"),
        ("empty from and to", "&from=&to="),
    ]


def paths(prefix: str, query: str) -> list[str]:
    return [f"{prefix}?name={name}{query}" for name, _ in BACK_OFFICE]


async def raw_upsert_rate(mongo: AsyncMongoClient[dict[str, Any]], count: int) -> float:
    """Events/s bulk-upserted straight into MongoDB, one document each, keyed by the event id,
    in batches of 500 (no Redis, no parsing): what the consumer wrote before the rollups."""
    scratch = mongo[DATABASE]["raw"]
    await scratch.drop()
    await scratch.create_index([("metric", 1), ("date", 1), ("label", 1), ("value", 1)])
    docs = [
        {"_id": e.id, "metric": e.metric, "value": e.value, "label": e.label, "date": e.date}
        | {"source": e.source}
        for e in bench_events(count, datetime.now(UTC))
    ]
    started = time.perf_counter()
    for i in range(0, count, BATCH):
        await scratch.bulk_write(
            [
                UpdateOne({"_id": d.pop("_id")}, {"$setOnInsert": d}, upsert=True)
                for d in docs[i : i + BATCH]
            ],
            ordered=False,
        )
    elapsed = time.perf_counter() - started
    await scratch.drop()
    return count / elapsed


async def consumer_rate(
    mongo: AsyncMongoClient[dict[str, Any]], redis: Redis, count: int, scattered: bool
) -> float:
    """Events/s through the consumer, from a stream of ``count`` entries already XADD'ed to the
    last one acknowledged, into empty rollups."""
    settings = Settings(
        events_stream=STREAM,
        redis_url=REDIS_URL,
        mongo_url=MONGO_URL,
        mongo_database=DATABASE,
        mongo_collection=COLLECTION,
        consumer_name="bench",
        consumer_batch_size=BATCH,
        consumer_health_port=0,
        consumer_prometheus_port=0,
        log_level="WARNING",
    )
    await mongo[DATABASE].drop_collection(f"{COLLECTION}_rollups")
    await redis.delete(STREAM)  # a fresh stream and group for each round
    now, rng = datetime.now(UTC), random.Random(count)
    for i in range(0, count, 1000):
        async with redis.pipeline(transaction=False) as pipe:
            for n in range(i, min(i + 1000, count)):
                date = now - timedelta(minutes=rng.randrange(90 * 24 * 60)) if scattered else None
                pipe.xadd(
                    STREAM, {"event": event_json("bench_count", label=f"l{n % 5}", date=date)}
                )
            await pipe.execute()
    async with open_consumer(settings) as consumer:
        started = time.perf_counter()
        task = asyncio.create_task(consumer.run())
        while True:
            groups = await redis.xinfo_groups(STREAM)
            if groups and groups[0]["entries-read"] == count and groups[0]["pending"] == 0:
                break
            await asyncio.sleep(0.02)
        elapsed = time.perf_counter() - started
        consumer.stop()
        await task
    assert consumer.status.stored == count, consumer.status.snapshot()
    return count / elapsed


async def consumer_against_raw(scattered: bool) -> float:
    redis = Redis.from_url(REDIS_URL)
    mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(MONGO_URL, tz_aware=True)
    try:
        raws, consumed = [], []
        for _ in range(CONSUMER_ROUNDS):  # alternately: the server is shared
            raws.append(await raw_upsert_rate(mongo, CONSUMER_EVENTS))
            consumed.append(await consumer_rate(mongo, redis, CONSUMER_EVENTS, scattered))
    finally:
        await redis.delete(STREAM)
        await redis.aclose()
        await mongo.drop_database(DATABASE)
        await mongo.close()
    raw, consumer = statistics.median(raws), statistics.median(consumed)
    kind = "scattered over 90 days (each its own minute)" if scattered else "live (dated now)"
    print(
        f"consumer, events {kind}: {CONSUMER_ROUNDS} rounds of {CONSUMER_EVENTS:,}, batch {BATCH}"
    )
    print(f"  raw bulk upsert  {raw:9.0f} events/s")
    print(f"  consumer         {consumer:9.0f} events/s")
    print(f"  ratio {consumer / raw:.2f}" + ("" if scattered else "  (goal ≥ 0.80)"), flush=True)
    return consumer / raw


async def seed_both() -> None:
    mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(MONGO_URL, tz_aware=True)
    try:
        await seed(mongo, f"{DATABASE}_small", SMALL)
        await seed(mongo, f"{DATABASE}_large", LARGE)
    finally:
        await mongo.close()


async def drop_both() -> None:
    mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(MONGO_URL)
    try:
        for size in ("small", "large"):
            await mongo.drop_database(f"{DATABASE}_{size}")
    finally:
        await mongo.close()


def main() -> None:
    wrk.ensure_wrk()
    print(
        f"metrics bench: MongoDB {MONGO_URL}, {LARGE:,} events against {SMALL:,} over"
        f" {SPAN.total_seconds() / 86400:g} days; wrk -t1 -c{wrk.CONNECTIONS}, per side"
        f" {SHAPE_ROUNDS} rounds of {SHAPE_SECONDS:g} s (each shape) or {wrk.ROUNDS} of"
        f" {wrk.SECONDS:g} s (the ceiling), one uvicorn process each, {os.cpu_count()} CPUs,"
        f" load average {os.getloadavg()[0]:.1f}",
        flush=True,
    )
    results: list[tuple[str, float, str]] = []  # what, figure, goal ("≤ x", "≥ x" or "")
    try:
        asyncio.run(seed_both())
        with ExitStack() as stack:

            def serve(factory: str, ready: str, size: str) -> str:
                env = service_env(f"{DATABASE}_{size}")
                return stack.enter_context(wrk.serve(factory, ready, env, f"metrics-{size}"))

            small = serve("metrics.app:create_app", "/metrics/healthcheck/", "small")
            large = serve("metrics.app:create_app", "/metrics/healthcheck/", "large")
            bare = serve("bench.reference:create_app", "/bare/healthcheck", "large")
            headers = admin_token()
            for title, query in shapes(NOW):
                ratio = wrk.compare(
                    f"GET /metrics?name=…{query}: {LARGE:,} events against {SMALL:,} ({title})",
                    (large, paths("/metrics", query)),
                    (small, paths("/metrics", query)),
                    headers=headers,
                    goal=FLAT,
                    rounds=SHAPE_ROUNDS,
                    seconds=SHAPE_SECONDS,
                )
                print(f"  time at {LARGE:,} / at {SMALL:,}: {1 / ratio:.2f}  (goal ≤ 1.50)")
                results.append((f"{title}: time {LARGE:,} / {SMALL:,}", 1 / ratio, "≤ 1.50"))
            ceiling = wrk.compare(
                f"GET /metrics?name= with a token at {LARGE:,} events, against bare Litestar",
                (large, paths("/metrics", "")),
                (bare, paths("/bare/metrics", "")),
                headers=headers,
                reference_headers={},
                goal=0.8,
            )
            results.append(("read ceiling: service / bare Litestar", ceiling, "≥ 0.80"))
    finally:
        asyncio.run(drop_both())
    live = asyncio.run(consumer_against_raw(scattered=False))
    results.append(("consumer / raw bulk upsert, live events", live, "≥ 0.80"))
    if SCATTERED:
        scattered = asyncio.run(consumer_against_raw(scattered=True))
        results.append(("consumer / raw bulk upsert, scattered over 90 days", scattered, ""))
    print("\nsummary")
    for name, value, goal in results:
        met = goal and (value <= float(goal[2:]) if goal[0] == "≤" else value >= float(goal[2:]))
        verdict = "" if not goal else ("met" if met else "MISSED")
        print(f"  {name:64} {value:6.2f}  goal {goal:6} {verdict}")


if __name__ == "__main__":
    main()

"""Benchmark, printed in one run (SecantusDB is slow: the default sizes take a few minutes).

1. raw bulk-insert (and bulk-upsert) rate of the MongoDB server (unordered, same index);
2. events/s through the consumer end to end (XADD'ed first, then Redis → consumer → MongoDB →
   XACK), and its ratio to (1): the consumer's efficiency;
3. p50/p99 of ``GET /metrics?name=`` against a running ``fiufit-metrics`` over N events.

Uses a stream of its own in Redis db index 4, the MongoDB database ``fiufit_bench_metrics``
(dropped), and the running authentication service for an admin token.
Run: ``make bench`` (sizes: ``--help``).
"""

import argparse
import asyncio
import os
import socket
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from pymongo import AsyncMongoClient, UpdateOne
from redis.asyncio import Redis

from metrics.consumer.__main__ import open_consumer
from metrics.db import ensure_indexes
from metrics.events import event_json
from metrics.settings import Settings

REDIS_URL = os.environ.get("METRICS_BENCH_REDIS_URL", "redis://127.0.0.1:6379/4")
MONGO_URL = os.environ.get("METRICS_BENCH_MONGO_URL", "mongodb://127.0.0.1:27017")
AUTH_URL = os.environ.get("METRICS_AUTH_URL", "http://127.0.0.1:8002")
SERVICE_TOKEN = os.environ.get("METRICS_BENCH_SERVICE_TOKEN", "fiufit-local-service-token")
DATABASE = "fiufit_bench_metrics"
STREAM = f"fiufit:events:bench-{uuid.uuid4().hex[:8]}"  # never the test runs' streams
BACK_OFFICE = [
    ("user_login_count", ["using_email_password", "using_idp"]),
    ("user_created_count", ["using_email_password", "using_idp"]),
    ("user_by_region_count", ["Palermo", "Belgrano", "Caballito", "Almagro", "Recoleta"]),
    ("user_blocked_count", [None]),
    ("user_password_recovery_count", [None]),
]
OTHERS = ["training_created_count", "goal_created_count", "payment_confirmed_count"]


def documents(count: int) -> list[dict[str, Any]]:
    """Events over the last 90 days: half in the five back-office counters, half elsewhere."""
    now = datetime.now(UTC)
    docs = []
    for n in range(count):
        if n % 2 == 0:
            metric, labels = BACK_OFFICE[(n // 2) % len(BACK_OFFICE)]
            label = labels[n % len(labels)]
        else:
            metric, label = OTHERS[n % len(OTHERS)], f"l{n % 7}"
        docs.append(
            {
                "_id": str(uuid.uuid4()),
                "metric": metric,
                "value": 1,
                "label": label,
                "date": now - timedelta(minutes=n % (90 * 24 * 60)),
                "source": "bench",
            }
        )
    return docs


async def raw_rate(mongo: AsyncMongoClient[dict[str, Any]], count: int, upsert: bool) -> float:
    """Documents/s written straight to MongoDB in batches of 500 (no Redis, no parsing)."""
    scratch = mongo[DATABASE]["raw"]
    await scratch.drop()
    await ensure_indexes(scratch)
    docs = documents(count)
    started = time.perf_counter()
    for i in range(0, count, 500):
        batch = docs[i : i + 500]
        if upsert:
            await scratch.bulk_write(
                [UpdateOne({"_id": d.pop("_id")}, {"$setOnInsert": d}, upsert=True) for d in batch],
                ordered=False,
            )
        else:
            await scratch.insert_many(batch, ordered=False)
    elapsed = time.perf_counter() - started
    await scratch.drop()
    return count / elapsed


async def end_to_end_rate(redis: Redis, settings: Settings, count: int) -> float:
    await redis.delete(STREAM)  # a fresh stream and group for each round
    for i in range(0, count, 1000):
        async with redis.pipeline(transaction=False) as pipe:
            for n in range(i, min(i + 1000, count)):
                pipe.xadd(STREAM, {"event": event_json("bench_count", label=f"l{n % 5}")})
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


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def query_latencies(
    mongo: AsyncMongoClient[dict[str, Any]], events: int, requests: int
) -> list[float]:
    collection = mongo[DATABASE]["metrics"]
    await collection.delete_many({})
    docs = documents(events)
    for i in range(0, events, 1000):
        await collection.insert_many(docs[i : i + 1000], ordered=False)
    async with httpx.AsyncClient() as auth:
        issued = await auth.post(
            f"{AUTH_URL}/auth/token",
            json={"role": "admin", "id": 1},
            headers={"X-Service-Token": SERVICE_TOKEN},
        )
    token = issued.raise_for_status().json()["data"]
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("METRICS_")}
    env.update(
        METRICS_PORT=str(port),
        METRICS_MONGO_URL=MONGO_URL,
        METRICS_MONGO_DATABASE=DATABASE,
        METRICS_REDIS_URL=REDIS_URL,
        METRICS_AUTH_URL=AUTH_URL,
        METRICS_PROMETHEUS_PORT="0",
        METRICS_LOG_LEVEL="WARNING",
    )
    server = await asyncio.create_subprocess_exec(sys.executable, "-m", "metrics", env=env)
    latencies: list[float] = []
    try:
        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{port}",
            headers={"Authorization": f"Bearer {token}"},
            timeout=120,
        ) as http:
            for _ in range(300):
                try:
                    await http.get("/metrics/healthcheck/")
                    break
                except httpx.TransportError:
                    await asyncio.sleep(0.1)
            for name, _ in BACK_OFFICE:  # warm-up: JWKS fetch, connection pool
                (await http.get("/metrics", params={"name": name})).raise_for_status()
            for n in range(requests):
                name = BACK_OFFICE[n % len(BACK_OFFICE)][0]
                started = time.perf_counter()
                response = await http.get("/metrics", params={"name": name})
                latencies.append(time.perf_counter() - started)
                response.raise_for_status()
    finally:
        server.terminate()
        await server.wait()
    return latencies


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


async def main(args: argparse.Namespace) -> None:
    redis = Redis.from_url(REDIS_URL)
    mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(MONGO_URL, tz_aware=True)
    await mongo.drop_database(DATABASE)
    settings = Settings(
        events_stream=STREAM,
        redis_url=REDIS_URL,
        mongo_url=MONGO_URL,
        mongo_database=DATABASE,
        consumer_name="bench",
        consumer_batch_size=args.batch,
        consumer_health_port=0,
        consumer_prometheus_port=0,
        log_level="WARNING",
    )
    try:
        print(f"MongoDB {MONGO_URL}, Redis {REDIS_URL}")
        # The MongoDB server is shared: interleave the three measures and keep the medians.
        raws, upserts, e2es = [], [], []
        for _ in range(args.rounds):
            raws.append(await raw_rate(mongo, args.events, upsert=False))
            upserts.append(await raw_rate(mongo, args.events, upsert=True))
            e2es.append(await end_to_end_rate(redis, settings, args.events))
        raw, upsert, e2e = (statistics.median(v) for v in (raws, upserts, e2es))
        sizes = f"median of {args.rounds} rounds of {args.events}"
        print(f"raw bulk insert:        {raw:8.0f} docs/s   ({sizes}, batches of 500)")
        print(f"raw bulk upsert:        {upsert:8.0f} docs/s   (the same, as the consumer writes)")
        print(f"consumer end to end:    {e2e:8.0f} events/s (batch {args.batch})")
        print(f"consumer efficiency:    {e2e / raw:8.2f} (end to end / raw insert)")
        print(f"                        {e2e / upsert:8.2f} (end to end / raw upsert)")
        latencies = await query_latencies(mongo, args.query_events, args.requests)
        p50, p99 = percentile(latencies, 0.5), percentile(latencies, 0.99)
        print(
            f"GET /metrics?name=:     p50 {p50 * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms, "
            f"mean {statistics.mean(latencies) * 1000:.0f} ms "
            f"({args.requests} requests over the five back-office counters, "
            f"{args.query_events} events stored)"
        )
    finally:
        await redis.delete(STREAM)
        await redis.aclose()
        await mongo.drop_database(DATABASE)
        await mongo.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=2_000, help="events per round, 1 and 2")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of 1 and 2")
    parser.add_argument("--batch", type=int, default=500, help="consumer batch size")
    parser.add_argument("--query-events", type=int, default=100_000, help="events stored for 3")
    parser.add_argument("--requests", type=int, default=30, help="GET /metrics requests")
    asyncio.run(main(parser.parse_args()))

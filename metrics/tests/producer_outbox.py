"""Publishes events the way a PRODUCER does, with that producer's own code and interpreter.

The metrics tests run this file with each producer's environment (``uv run --project <service>``):
for each requested ``[metric, label]`` it calls the function that the service's call sites use to
write an event into its outbox (in a throwaway database built by the service's own migrations),
then runs the service's own relay, which XADDs the rows to the stream as Postgres renders them.
Nothing here builds a payload, so a producer change that breaks the consumer's contract fails the
metrics tests. Where a producer names its metrics in constants, a requested name must be one of
them (a renamed metric is a broken contract for the back office too).

Usage: python producer_outbox.py SERVICE_DIR POSTGRES_URL REDIS_URL STREAM < [[metric, label], ...]
Prints how many events the relay published.
"""

import asyncio
import importlib
import json
import subprocess
import sys
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import asyncpg
from redis.asyncio import Redis

Write = Callable[[Any, str, str | None], Awaitable[None]]
Relay = Callable[[asyncpg.Pool, Redis, str], Awaitable[int]]


def declared(module: ModuleType, metric: str) -> None:
    names = {
        v for k, v in vars(module).items() if k.isupper() and k != "SOURCE" and isinstance(v, str)
    }
    if metric not in names:
        sys.exit(f"{module.__name__} declares no metric {metric!r} (it has {sorted(names)})")


def glue(package: str) -> tuple[Write, Relay]:
    """users, trainings, goals and payment carry one outbox (their identical `outbox.py`,
    declared glue) and name their metrics and their source in their own `events.py`."""
    events = importlib.import_module(f"{package}.events")
    outbox = importlib.import_module(f"{package}.outbox")

    async def write(conn: Any, metric: str, label: str | None) -> None:
        declared(events, metric)
        await outbox.enqueue(conn, events.SOURCE, metric, label)

    def relay(pool: asyncpg.Pool, redis: Redis, stream: str) -> Awaitable[int]:
        drained: Awaitable[int] = outbox.OutboxRelay(pool, redis, stream).drain()
        return drained

    return write, relay


def users() -> tuple[Write, Relay]:
    return glue("users")


def trainings() -> tuple[Write, Relay]:
    return glue("trainings")


def goals() -> tuple[Write, Relay]:
    return glue("goals")


def payment() -> tuple[Write, Relay]:
    return glue("payment")


PRODUCERS = {"users": users, "trainings": trainings, "goals": goals, "payment": payment}


async def main(service_dir: Path, postgres: str, redis_url: str, stream: str) -> int:
    rows: list[tuple[str, str | None]] = [tuple(row) for row in json.load(sys.stdin)]
    write, relay = PRODUCERS[service_dir.name]()
    database = f"metrics_test_{service_dir.name}_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(f"{postgres}/postgres")
    await admin.execute(f'CREATE DATABASE "{database}"')
    redis = Redis.from_url(redis_url)
    try:
        dbmate = Path(sys.executable).parent / "dbmate"
        migrations = service_dir / "migrations"
        url = f"{postgres}/{database}?sslmode=disable"
        command = [str(dbmate), "--url", url, "--migrations-dir", str(migrations)]
        up = [*command, "--no-dump-schema", "up"]
        await asyncio.to_thread(subprocess.run, up, check=True, capture_output=True)
        async with asyncpg.create_pool(f"{postgres}/{database}", min_size=1, max_size=2) as pool:
            for metric, label in rows:  # each in its own transaction, as the call sites do
                async with pool.acquire() as conn, conn.transaction():
                    await write(conn, metric, label)
            published = 0
            while sent := await relay(pool, redis, stream):
                published += sent
    finally:
        await redis.aclose()
        await admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        await admin.close()
    return published


if __name__ == "__main__":
    service, postgres, redis_url, stream = sys.argv[1:]
    print(asyncio.run(main(Path(service), postgres, redis_url, stream)))

"""Tests run against the real Redis (db index 4: streams live inside it) and the real MongoDB wire
server (SecantusDB, database ``fiufit_test_metrics``), with tokens from the running authentication
service (`overlays/infra.sh start` and `start auth`; `make test` at the root does both).

Each run names its own streams and collections (a random suffix), so two runs at once (a
developer's and CI's on one machine) never see each other's events; a run deletes only its own
keys and collections."""

import asyncio
import subprocess
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import AsyncExitStack
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from pymongo import AsyncMongoClient
from redis.asyncio import Redis

from metrics.app import create_app
from metrics.consumer.__main__ import open_consumer
from metrics.consumer.worker import Consumer
from metrics.db import Collection, ensure_indexes
from tests.helpers import (
    COLLECTION,
    DEAD,
    MONGO_DB,
    MONGO_URL,
    REDIS_URL,
    ROLLUPS,
    STREAM,
    Client,
    ConsumerProcess,
    Servers,
    issue_token,
    make_settings,
)


@pytest.fixture(scope="session")
def admin_token() -> str:
    return issue_token(role="admin", id=1)


@pytest.fixture(scope="session")
def user_token() -> str:
    return issue_token(role="user", id=1, is_athlete=True)


@pytest.fixture(scope="session")
async def redis() -> AsyncIterator[Redis]:
    client = Redis.from_url(REDIS_URL)
    yield client
    await client.delete(STREAM, DEAD)
    await client.aclose()


@pytest.fixture(scope="session")
async def mongo() -> AsyncIterator[AsyncMongoClient[dict[str, object]]]:
    client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(MONGO_URL, tz_aware=True)
    yield client
    await client[MONGO_DB].drop_collection(COLLECTION)
    await client[MONGO_DB].drop_collection(ROLLUPS)
    await client.close()


@pytest.fixture
async def rollups(mongo: AsyncMongoClient[dict[str, object]], redis: Redis) -> Collection:
    """The rollups, with their indexes, and the legacy events, both empty, and no streams:
    every test starts clean."""
    await redis.delete(STREAM, DEAD)
    await mongo[MONGO_DB][COLLECTION].delete_many({})
    collection = mongo[MONGO_DB][ROLLUPS]
    await collection.delete_many({})
    await ensure_indexes(collection)
    return collection


@pytest.fixture
def legacy(mongo: AsyncMongoClient[dict[str, object]], rollups: Collection) -> Collection:
    """Where the consumer stored one document per event before the rollups (emptied by
    ``rollups``)."""
    return mongo[MONGO_DB][COLLECTION]


@pytest.fixture(scope="session")
async def anonymous() -> AsyncIterator[Client]:
    # One app per client: each client runs the app's lifespan, which owns the app's clients.
    async with AsyncTestClient(app=create_app(make_settings())) as client:
        yield client


@pytest.fixture(scope="session")
async def client(admin_token: str) -> AsyncIterator[Client]:
    """A client carrying an admin token."""
    async with AsyncTestClient(app=create_app(make_settings())) as client:
        client.headers["Authorization"] = f"Bearer {admin_token}"
        yield client


@pytest.fixture
def consumer_processes() -> Iterator[Callable[..., ConsumerProcess]]:
    started: list[ConsumerProcess] = []

    def start(module: str = "metrics.consumer", **env: str) -> ConsumerProcess:
        process = ConsumerProcess(module, **env)
        started.append(process)
        return process

    yield start
    for process in started:
        process.stop()


@pytest.fixture
def private_server() -> Iterator[Servers]:
    """Start servers of the test's own (the shared ones are never stopped); killed afterwards."""
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


@pytest.fixture
async def run_consumer(rollups: Collection) -> AsyncIterator[Callable[..., Awaitable[Consumer]]]:
    """Start in-process consumers (a task each); stopped with SIGTERM semantics afterwards."""
    async with AsyncExitStack() as stack:
        tasks: list[tuple[Consumer, asyncio.Task[None]]] = []

        async def start(**overrides: Any) -> Consumer:
            consumer = await stack.enter_async_context(open_consumer(make_settings(**overrides)))
            tasks.append((consumer, asyncio.create_task(consumer.run())))
            return consumer

        try:
            yield start
        finally:
            for consumer, task in tasks:
                consumer.stop()
                await asyncio.wait_for(task, 15)

"""Tests run against the real Redis (db index 4: streams live inside it) and the real MongoDB wire
server (SecantusDB, database ``fiufit_test_metrics``), with tokens from the running authentication
service (`overlays/infra.sh start` and `start auth`; `make test` at the root does both).

Each run names its own streams and collection (a random suffix), so two runs at once (a
developer's and CI's on one machine) never see each other's events; a run deletes only its own
keys and collection."""

import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import AsyncExitStack
from typing import Any

import httpx
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from pymongo import AsyncMongoClient
from redis.asyncio import Redis

from metrics.app import create_app
from metrics.consumer.__main__ import open_consumer
from metrics.consumer.worker import Consumer
from metrics.events import event_json
from metrics.settings import Settings
from metrics.store import Collection

REDIS_URL = "redis://127.0.0.1:6379/4"
MONGO_URL = os.environ.get("METRICS_TEST_MONGO_URL", "mongodb://127.0.0.1:27017")
MONGO_DB = "fiufit_test_metrics"
AUTH_URL = "http://127.0.0.1:8002"
SERVICE_TOKEN = os.environ.get("METRICS_TEST_SERVICE_TOKEN", "fiufit-local-service-token")
RUN = uuid.uuid4().hex[:8]
STREAM = f"fiufit:events:test-{RUN}"
DEAD = f"fiufit:events:dead:test-{RUN}"
COLLECTION = f"metrics_{RUN}"

Client = AsyncTestClient[Litestar]


def make_settings(**overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "redis_url": REDIS_URL,
        "mongo_url": MONGO_URL,
        "mongo_database": MONGO_DB,
        "mongo_collection": COLLECTION,
        "events_stream": STREAM,
        "dead_letter_stream": DEAD,
        "auth_url": AUTH_URL,
        "prometheus_port": 0,
        "consumer_prometheus_port": 0,
        "consumer_health_port": 0,
        "consumer_name": "test-consumer",
        "consumer_block_ms": 200,
        "consumer_batch_size": 50,
        "consumer_claim_interval_seconds": 0.2,
        "consumer_backoff_max_seconds": 0.5,
        "log_level": "WARNING",
    }
    values.update(overrides)
    return Settings(**values)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def eventually(check: Callable[[], Awaitable[bool]], within: float = 90.0) -> None:
    """Wait until ``check`` holds (the consumer works asynchronously)."""
    deadline = time.monotonic() + within
    while not await check():
        assert time.monotonic() < deadline, f"condition not met within {within} s"
        await asyncio.sleep(0.05)


def issue_token(**claims: Any) -> str:
    response = httpx.post(
        f"{AUTH_URL}/auth/token", json=claims, headers={"X-Service-Token": SERVICE_TOKEN}
    )
    assert response.status_code == 201, response.text
    token: str = response.json()["data"]
    return token


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
    await client.close()


@pytest.fixture
async def events(mongo: AsyncMongoClient[dict[str, object]], redis: Redis) -> Collection:
    """The events collection, empty, and no streams: every test starts clean."""
    await redis.delete(STREAM, DEAD)
    collection = mongo[MONGO_DB][COLLECTION]
    await collection.delete_many({})
    return collection


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


class ConsumerProcess:
    """``metrics-consumer`` as a real process (for kill -9 and SIGTERM), with its health port."""

    def __init__(self, **env: str) -> None:
        self.health_port = free_port()
        settings = {
            "METRICS_REDIS_URL": REDIS_URL,
            "METRICS_MONGO_URL": MONGO_URL,
            "METRICS_MONGO_DATABASE": MONGO_DB,
            "METRICS_MONGO_COLLECTION": COLLECTION,
            "METRICS_EVENTS_STREAM": STREAM,
            "METRICS_DEAD_LETTER_STREAM": DEAD,
            "METRICS_CONSUMER_NAME": "process-consumer",
            "METRICS_CONSUMER_PROMETHEUS_PORT": "0",
            "METRICS_CONSUMER_HEALTH_PORT": str(self.health_port),
            "METRICS_CONSUMER_BLOCK_MS": "200",
            "METRICS_CONSUMER_BATCH_SIZE": "50",
            "METRICS_CONSUMER_BACKOFF_MAX_SECONDS": "0.5",
            "METRICS_LOG_LEVEL": "WARNING",
        }
        settings.update(env)
        environment = {k: v for k, v in os.environ.items() if not k.startswith("METRICS_")}
        # Its JSON logs go to a file (a pipe nobody reads could fill up and block it).
        self.log = tempfile.NamedTemporaryFile(prefix="metrics-consumer-", suffix=".log")  # noqa: SIM115
        self.process = subprocess.Popen(
            [sys.executable, "-m", "metrics.consumer"],
            env={**environment, **settings},
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )

    async def health(self) -> dict[str, Any] | None:
        try:
            async with httpx.AsyncClient(timeout=2) as http:
                response = await http.get(f"http://127.0.0.1:{self.health_port}/health")
        except httpx.HTTPError:
            return None
        body: dict[str, Any] = response.json()
        return body

    async def wait_exit(self, within: float = 90.0) -> int:
        deadline = time.monotonic() + within
        while (code := self.process.poll()) is None:
            assert time.monotonic() < deadline, "the consumer did not exit"
            await asyncio.sleep(0.05)
        return code

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.log.seek(0)
        logs = self.log.read().decode(errors="replace")
        self.log.close()
        print(f"--- consumer {self.process.pid} logs (exit {self.process.returncode}):\n{logs}")


@pytest.fixture
def consumer_processes() -> Iterator[Callable[..., ConsumerProcess]]:
    started: list[ConsumerProcess] = []

    def start(**env: str) -> ConsumerProcess:
        process = ConsumerProcess(**env)
        started.append(process)
        return process

    yield start
    for process in started:
        process.stop()


async def publish(redis: Redis, *payloads: str | bytes, stream: str = STREAM) -> list[bytes]:
    """XADD each payload as the ``event`` field, as the producers' outbox relays do."""
    async with redis.pipeline(transaction=False) as pipe:
        for payload in payloads:
            pipe.xadd(stream, {"event": payload})
        ids: list[bytes] = await pipe.execute()
    return ids


async def publish_events(redis: Redis, count: int, metric: str = "test_count") -> list[bytes]:
    return await publish(redis, *(event_json(metric, label=f"l{n % 3}") for n in range(count)))


async def pending(redis: Redis) -> int:
    summary = await redis.xpending(STREAM, "metrics")
    return int(summary["pending"])


@pytest.fixture
async def run_consumer(events: Collection) -> AsyncIterator[Callable[..., Awaitable[Consumer]]]:
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

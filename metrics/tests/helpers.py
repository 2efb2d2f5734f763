"""What the tests share: the run's names (streams, collections), settings, waits, tokens from the
running authentication service, the consumer as a real process, private servers' commands,
publishing to the stream, and what the rollups hold. Fixtures live in conftest.py."""

import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from jose import jwk
from litestar import Litestar
from litestar.testing import AsyncTestClient
from redis.asyncio import Redis
from redis.exceptions import RedisError

from metrics.db import Collection
from metrics.events import Event, event_json
from metrics.rollups import LEVELS, SECOND, label_of, totals
from metrics.settings import Settings

REDIS_URL = "redis://127.0.0.1:6379/4"
MONGO_URL = os.environ.get("METRICS_TEST_MONGO_URL", "mongodb://127.0.0.1:27017")
MONGO_DB = "fiufit_test_metrics"
AUTH_URL = "http://127.0.0.1:8002"
SERVICE_TOKEN = os.environ.get("METRICS_TEST_SERVICE_TOKEN", "fiufit-local-service-token")
RUN = uuid.uuid4().hex[:8]
STREAM = f"fiufit:events:test-{RUN}"
DEAD = f"fiufit:events:dead:test-{RUN}"
COLLECTION = f"metrics_{RUN}"  # the legacy events; the rollups are in f"{COLLECTION}_rollups"
ROLLUPS = f"{COLLECTION}_rollups"
PROJECT = Path(__file__).resolve().parent.parent

Client = AsyncTestClient[Litestar]
Servers = Callable[[list[str]], subprocess.Popen[bytes]]  # the `private_server` fixture


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


class ConsumerProcess:
    """``metrics-consumer`` as a real process (for kill -9 and SIGTERM), with its health port.
    ``module`` is the program to run: the real consumer, or a test variant of it
    (``tests.crashing_consumer``)."""

    def __init__(self, module: str = "metrics.consumer", **env: str) -> None:
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
            [sys.executable, "-m", module],
            cwd=PROJECT,  # where ``tests`` is importable
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


async def group_done(redis: Redis) -> bool:
    """The group has read every entry of the stream and acknowledged them all."""
    groups = await redis.xinfo_groups(STREAM)
    return bool(groups) and groups[0]["pending"] == 0 and groups[0]["lag"] == 0


async def stored_events(rollups: Collection) -> int:
    """How many events the second documents hold."""
    cursor = await rollups.aggregate(
        [{"$match": {"lv": SECOND.name}}, {"$group": {"_id": None, "n": {"$sum": "$N"}}}]
    )
    rows = await cursor.to_list()
    return int(rows[0]["n"]) if rows else 0


async def stored(rollups: Collection, count: int) -> bool:
    return await stored_events(rollups) == count


async def settled(rollups: Collection) -> bool:
    """Every second's totals are copied upwards (no document is left dirty)."""
    return await rollups.count_documents({"dirty": True}) == 0


async def level_totals(rollups: Collection) -> dict[str, tuple[int | float, int]]:
    """Each level's sum and event count over all its documents: once every write has been
    copied upwards, all five are the same."""
    sums: dict[str, tuple[int | float, int]] = {level.name: (0, 0) for level in LEVELS}
    async for document in rollups.find({"lv": {"$in": list(sums)}}):
        level = str(document["lv"])
        for c, n in totals(document).values():
            sums[level] = (sums[level][0] + c, sums[level][1] + n)
    return sums


def stored_entries(document: dict[str, Any]) -> Iterator[tuple[str | None, dict[str, Any]]]:
    """A second document's events, with their labels."""
    for key, events in document["e"].items():
        for stored in events.values():
            yield label_of(key), stored


async def counted_once(rollups: Collection, count: int) -> None:
    """``count`` events of value 1 are each counted once, at every level, once the consumers
    have copied them upwards."""
    await eventually(lambda: settled(rollups))
    assert await level_totals(rollups) == {level.name: (count, count) for level in LEVELS}


def event(
    metric: str, label: str | None, date: datetime, value: int | float = 1, source: str = "test"
) -> Event:
    return Event(str(uuid.uuid4()), metric, value, label, date, source)


async def answers(redis: Redis) -> bool:
    """The Redis server is up (a private one just started, or back after a restart)."""
    try:
        return bool(await redis.ping())
    except RedisError:
        return False


def redis_server(port: int) -> list[str]:
    """The command of a private Redis server (no persistence) for an outage test."""
    return ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", ""]


EVENT_ID = "7d3c5a4e-2b1f-4c8e-9a6d-0f1e2d3c4b5a"


def entry(**changes: Any) -> dict[bytes, bytes]:
    data: dict[str, Any] = {
        "id": EVENT_ID,
        "metric": "user_login_count",
        "value": 1,
        "label": "using_email_password",
        "date": "2026-11-28T11:59:00.123Z",
        "source": "users",
    }
    data.update(changes)
    return {b"event": json.dumps({k: v for k, v in data.items() if v is not ...}).encode()}


MALFORMED: list[tuple[str, dict[bytes, bytes], str]] = [
    ("no event field", {b"payload": b"{}"}, "missing field: the entry has no 'event' field"),
    ("deleted entry", {}, "deleted: the entry left the stream before it was processed"),
    ("not utf-8", {b"event": b"\xff\xfe{"}, "bad encoding"),
    ("not json", {b"event": b"{'metric': 'python repr'}"}, "bad JSON"),
    ("truncated json", {b"event": b'{"id": "'}, "bad JSON"),
    ("json array", {b"event": b"[1, 2]"}, "bad JSON: the event is not a JSON object"),
    ("json string", {b"event": b'"user_login_count"'}, "bad JSON: the event is not"),
    ("absurd nesting", {b"event": b"[" * 100_000}, "bad JSON"),
    ("missing id", entry(id=...), "missing field: id"),
    ("missing metric and date", entry(metric=..., date=...), "missing field: metric, date"),
    ("null value", entry(value=None), "missing field: value"),
    ("missing source", entry(source=...), "missing field: source"),
    ("id not a uuid", entry(id="42"), "invalid value: 'id' is not a UUID"),
    ("id a number", entry(id=42), "wrong type: 'id' must be a string"),
    ("metric a number", entry(metric=7), "wrong type: 'metric' must be a string"),
    ("metric with spaces", entry(metric="user login"), "invalid value: 'metric'"),
    ("metric too long", entry(metric="m" * 101), "invalid value: 'metric'"),
    ("metric with a trailing newline", entry(metric="m\n"), "invalid value: 'metric'"),
    ("value as a string", entry(value="1"), "wrong type: 'value' must be a number"),
    ("value a boolean", entry(value=True), "wrong type: 'value' must be a number"),
    (
        "value infinite",
        {b"event": entry()[b"event"].replace(b'"value": 1', b'"value": Infinity')},
        "invalid value: 'value'",
    ),
    ("value huge", entry(value=10**13), "invalid value: 'value'"),
    ("label a number", entry(label=3), "wrong type: 'label' must be a string or null"),
    ("label too long", entry(label="x" * 201), "invalid value: 'label'"),
    ("source empty", entry(source=" "), "invalid value: 'source'"),
    ("date a number", entry(date=1700000000), "wrong type: 'date' must be a string"),
    ("date not iso", entry(date="28/11/2026 11:59:00"), "invalid date: 'date' is not ISO-8601"),
    ("date without offset", entry(date="2026-11-28T11:59:00"), "invalid date: 'date' has no"),
    ("date 1970", entry(date="1970-01-01T00:00:00Z"), "absurd date"),
    ("date next year", entry(date="2027-11-28T00:00:00Z"), "absurd date"),
]


def es256_key_pair() -> tuple[str, dict[str, Any]]:
    """A private PEM, and its public half as authentication's JWKS publishes it."""
    private = ec.generate_private_key(ec.SECP256R1())
    private_pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public_pem = (
        private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    public_jwk: dict[str, Any] = jwk.construct(public_pem, "ES256").to_dict()
    public_jwk.update({"kid": "test-1", "use": "sig", "alg": "ES256"})
    return private_pem, public_jwk


def readiness_body(mongodb: str = "ok", redis: str = "ok") -> dict[str, object]:
    """What /metrics/readiness/ answers for these states: MongoDB is required, Redis soft."""
    return {
        "ready": mongodb == "ok",
        "degraded": redis != "ok",
        "checks": {"mongodb": mongodb, "redis": redis},
    }

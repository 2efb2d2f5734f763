"""Tests run the app in process against real Postgres (database goals_test), Redis (db 3), the
running authentication service (tokens, JWKS, image storage) and fake-gcs behind it.
`make test` at the root starts them all (overlays/infra.sh start, start auth).
Fixtures only: helpers live in tests/helpers.py."""

import asyncio
import random
from collections.abc import AsyncIterator, Iterator

import asyncpg
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from redis.asyncio import Redis

from goals.app import create_app
from tests.database import fresh_database, restart_ids
from tests.helpers import (
    DATABASE_URL,
    MIGRATIONS,
    POSTGRES,
    REDIS_URL,
    START,
    Client,
    FakeClock,
    make_settings,
)


@pytest.fixture(scope="session", autouse=True)
def database() -> Iterator[None]:
    """A fresh goals_test database with the migrations applied by dbmate, as in a deployment."""
    url = asyncio.run(fresh_database(POSTGRES, "goals_test", MIGRATIONS))
    # Images live in authentication's shared bucket as goals/<id>/image: keep test ids far away
    # from the ids of a local stack's goals.
    asyncio.run(restart_ids(url, "goals_id_seq", random.randrange(10**12, 9 * 10**12)))
    yield


@pytest.fixture(scope="session")
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(scope="session")
def app(database: None, clock: FakeClock) -> Litestar:
    return create_app(make_settings(), clock=clock)


@pytest.fixture(scope="session")
async def client(app: Litestar) -> AsyncIterator[Client]:
    async with AsyncTestClient(app=app) as client:
        yield client


@pytest.fixture(scope="session")
async def db(database: None) -> AsyncIterator[asyncpg.Pool]:
    pool = await asyncpg.create_pool(DATABASE_URL, min_size=1, max_size=4)
    yield pool
    await pool.close()


@pytest.fixture(scope="session")
async def redis() -> AsyncIterator[Redis]:
    client = Redis.from_url(REDIS_URL, decode_responses=True)
    yield client
    await client.aclose()


@pytest.fixture(autouse=True)
async def clean(db: asyncpg.Pool, redis: Redis, clock: FakeClock) -> AsyncIterator[None]:
    clock.set(START)
    yield
    await db.execute("TRUNCATE goals, progress_log, outbox")
    await redis.flushdb()  # db 3 only

"""Tests run the app in process against real Postgres (database ``payment_test``), Redis (db 5)
and anvil (``overlays/infra.sh start`` starts them; ``make test`` at the root does it for you).
Fixtures only: helpers live in tests/helpers.py."""

import asyncio
from collections.abc import AsyncIterator, Iterator

import asyncpg
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from redis.asyncio import Redis

from payment.app import create_app
from tests.database import fresh_database
from tests.helpers import (
    DATABASE_URL,
    MIGRATIONS,
    OWNER,
    POSTGRES,
    REDIS_URL,
    SERVICE_TOKEN,
    STREAM,
    Client,
    make_settings,
    rpc,
)


@pytest.fixture(scope="session", autouse=True)
def database() -> Iterator[None]:
    """A fresh `payment_test` database with the migrations applied by dbmate, once per run."""
    asyncio.run(fresh_database(POSTGRES, "payment_test", MIGRATIONS))
    # A fresh owner for this session: nobody else signs with it, so its nonces are ours.
    rpc("anvil_setBalance", OWNER.address, hex(10**6 * 10**18))
    yield


@pytest.fixture(scope="session")
def app() -> Litestar:
    return create_app(make_settings())


@pytest.fixture(scope="session")
async def client(app: Litestar) -> AsyncIterator[Client]:
    async with AsyncTestClient(app=app) as client:
        client.headers["X-Service-Token"] = SERVICE_TOKEN
        yield client


@pytest.fixture(scope="session")
async def db() -> AsyncIterator[asyncpg.Connection]:
    conn = await asyncpg.connect(DATABASE_URL)
    yield conn
    await conn.close()


@pytest.fixture
async def locks() -> AsyncIterator[asyncpg.Connection]:
    """A database session of the test's own, to hold account locks (released with it)."""
    conn = await asyncpg.connect(DATABASE_URL)
    yield conn
    await conn.close()


@pytest.fixture
async def redis() -> AsyncIterator[Redis]:
    """The suite's Redis, its event stream emptied first."""
    redis = Redis.from_url(REDIS_URL)
    await redis.delete(STREAM)
    yield redis
    await redis.aclose()


@pytest.fixture(autouse=True)
async def clean(database: None) -> AsyncIterator[None]:
    yield
    conn = await asyncpg.connect(DATABASE_URL)
    try:
        await conn.execute("TRUNCATE wallets, ledger, outbox")
    finally:
        await conn.close()

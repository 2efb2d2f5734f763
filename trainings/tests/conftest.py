"""Tests run the app in process against real servers: Postgres (database ``trainings_test``,
migrated with dbmate), Redis (logical db 2), and the running authentication service (tokens,
JWKS, media storage on fake-gcs). ``make test`` at the root starts them all.
Fixtures only: helpers live in tests/helpers.py."""

import asyncio
import functools
from collections.abc import AsyncIterator

import asyncpg
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from redis.asyncio import Redis

from tests.database import fresh_database
from tests.helpers import (
    DATABASE,
    DATABASE_URL,
    MIGRATIONS,
    POSTGRES,
    REDIS_URL,
    Client,
    Create,
    create_training,
    delete_stored,
    make_settings,
)
from trainings.app import create_app


@pytest.fixture(scope="session", autouse=True)
def database() -> None:
    """A fresh ``trainings_test`` database with every migration applied, once per session."""
    asyncio.run(fresh_database(POSTGRES, DATABASE, MIGRATIONS))


@pytest.fixture(scope="session")
async def app(database: None) -> Litestar:
    return create_app(make_settings())


@pytest.fixture(scope="session")
async def client(app: Litestar) -> AsyncIterator[Client]:
    async with AsyncTestClient(app=app) as client:
        yield client


@pytest.fixture(scope="session")
async def redis() -> AsyncIterator[Redis]:
    connection = Redis.from_url(REDIS_URL, decode_responses=True)
    yield connection
    await connection.aclose()


@pytest.fixture(scope="session")
async def db(database: None) -> AsyncIterator[asyncpg.Connection]:
    connection = await asyncpg.connect(DATABASE_URL)
    yield connection
    await connection.close()


@pytest.fixture(autouse=True)
async def clean(db: asyncpg.Connection, redis: Redis) -> AsyncIterator[None]:
    """Each test starts empty; the media objects it stored are deleted from storage too."""
    yield
    names = [
        row["media"] for row in await db.fetch("SELECT media FROM trainings WHERE media <> ''")
    ]
    await delete_stored(*names)
    # DELETE is much faster than TRUNCATE on a handful of rows.
    await db.execute(
        "DELETE FROM outbox; DELETE FROM ratings; DELETE FROM favourites;"
        " DELETE FROM training_exercises; DELETE FROM trainings"
    )
    await redis.flushdb()


@pytest.fixture
def create(client: Client) -> Create:
    """Creates a training as a trainer (default: TRAINER) and returns it."""
    return functools.partial(create_training, client)

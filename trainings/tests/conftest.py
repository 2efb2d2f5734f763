"""Tests run the app in process against real servers: Postgres (database ``trainings_test``,
migrated with dbmate), Redis (logical db 2), and the running authentication service (tokens,
JWKS, media storage on fake-gcs). ``make test`` at the root starts them all."""

import asyncio
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from redis.asyncio import Redis

from tests.helpers import (
    AUTH_URL,
    DATABASE,
    DATABASE_URL,
    MIGRATIONS,
    POSTGRES,
    REDIS_URL,
    SERVICE_TOKEN,
    TRAINER,
    Client,
    Create,
    make_settings,
    trainer,
    training_body,
)
from trainings.app import create_app


@pytest.fixture(scope="session", autouse=True)
def database() -> None:
    """A fresh ``trainings_test`` database with every migration applied, once per session."""
    for sql in (f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)", f"CREATE DATABASE {DATABASE}"):
        subprocess.run(["psql", f"{POSTGRES}/postgres", "-qc", sql], check=True)
    dbmate = Path(sys.executable).parent / "dbmate"
    migrate = [str(dbmate), "--url", f"{DATABASE_URL}?sslmode=disable", "--migrations-dir"]
    subprocess.run([*migrate, str(MIGRATIONS), "--no-dump-schema", "up"], check=True)


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
    if names:
        async with httpx.AsyncClient(headers={"X-Service-Token": SERVICE_TOKEN}) as http:
            await asyncio.gather(
                *(http.delete(f"{AUTH_URL}/auth/storage/{name}") for name in names)
            )
    # DELETE is much faster than TRUNCATE on a handful of rows.
    await db.execute(
        "DELETE FROM outbox; DELETE FROM ratings; DELETE FROM favourites;"
        " DELETE FROM training_exercises; DELETE FROM trainings"
    )
    await redis.flushdb()


@pytest.fixture
def create(client: Client) -> Create:
    """Creates a training as a trainer (default: TRAINER) and returns it."""

    async def create(trainer_id: int = TRAINER, **overrides: Any) -> dict[str, Any]:
        response = await client.post(
            "/trainings", json=training_body(**overrides), headers=trainer(trainer_id)
        )
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        return created

    return create

"""Tests run the app in process against the real servers of the local stack: Postgres (db
`users_test`), Redis (db 1), SecantusDB (db `fiufit_test_users`), the Firebase Auth emulator,
fake-gcs, and the running authentication (and payment) services. `overlays/infra.sh start`,
`start auth` and `start payment` bring them up; the root `make test` does it for you. The
real trainings and goals services run from their own projects (tests/siblings.py).
Fixtures only: helpers live in tests/helpers.py."""

import asyncio
import secrets
from collections.abc import AsyncIterator, Iterator
from typing import Any

import asyncpg
import httpx
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from pymongo import AsyncMongoClient
from redis.asyncio import Redis

from tests.database import fresh_database, restart_ids
from tests.helpers import (
    ADMIN_EMAIL,
    DATABASE_URL,
    MIGRATIONS,
    MONGO_DATABASE,
    MONGO_URL,
    POSTGRES,
    REDIS_URL,
    Actor,
    Client,
    bearer,
    delete_firebase_account,
    insert_user,
    make_settings,
    token,
    wait_for_bootstrap_admin,
)
from tests.siblings import Sibling
from users.app import create_app
from users.settings import Settings


@pytest.fixture(scope="session", autouse=True)
def database() -> Iterator[None]:
    """A fresh `users_test` database with the migrations applied by dbmate, once per run."""
    url = asyncio.run(fresh_database(POSTGRES, "users_test", MIGRATIONS))
    # payment keeps wallets by user id in its own database, which outlives this one: ids from a
    # range of their own keep test wallets apart from the local stack's and from earlier runs.
    asyncio.run(restart_ids(url, "users_id_seq", 10**9 + secrets.randbelow(10**6) * 1000))
    yield


@pytest.fixture(scope="session")
def siblings(database: None) -> Iterator[dict[str, Sibling]]:
    """The real trainings and goals services (tests/siblings.py), which deletion, export,
    reports on trainings and the audit log reach; a test may stop one and start it again."""
    running = {name: Sibling(name) for name in ("trainings", "goals")}

    async def begin() -> None:
        await asyncio.gather(*(sibling.prepare() for sibling in running.values()))
        await asyncio.gather(*(sibling.start() for sibling in running.values()))

    try:
        asyncio.run(begin())
        yield running
    finally:
        for sibling in running.values():
            sibling.stop()


@pytest.fixture(scope="session")
def settings(siblings: dict[str, Sibling]) -> Settings:
    return make_settings(
        trainings_url=siblings["trainings"].url,
        goals_url=siblings["goals"].url,
        # A step that failed (a sibling stopped on purpose) is retried quickly.
        deletion_retry_min=0.2,
        deletion_retry_max=0.5,
    )


@pytest.fixture(scope="session")
def app(settings: Settings, database: None) -> Litestar:
    return create_app(settings)


@pytest.fixture(scope="session")
async def client(app: Litestar, db: asyncpg.Pool, http: httpx.AsyncClient) -> AsyncIterator[Client]:
    async with AsyncTestClient(app=app) as client:
        await wait_for_bootstrap_admin(db, ADMIN_EMAIL)
        yield client
    async with db.acquire() as conn:
        uid = await conn.fetchval("SELECT firebase_uid FROM admins WHERE email = $1", ADMIN_EMAIL)
    if uid:
        await delete_firebase_account(http, uid)


@pytest.fixture(scope="session")
async def db(database: None) -> AsyncIterator[asyncpg.Pool]:
    pool = await asyncpg.create_pool(DATABASE_URL, min_size=1, max_size=3)
    yield pool
    await pool.close()


@pytest.fixture(scope="session")
async def redis() -> AsyncIterator[Redis]:
    client = Redis.from_url(REDIS_URL, decode_responses=True)
    yield client
    await client.aclose()


@pytest.fixture(scope="session")
async def mongo() -> AsyncIterator[AsyncMongoClient[dict[str, Any]]]:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(MONGO_URL)
    yield client
    await client.drop_database(MONGO_DATABASE)
    await client.close()


@pytest.fixture(scope="session")
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=30) as client:
        yield client


@pytest.fixture(autouse=True)
async def clean(
    client: Client,
    db: asyncpg.Pool,
    redis: Redis,
    mongo: AsyncMongoClient[dict[str, Any]],
    http: httpx.AsyncClient,
) -> AsyncIterator[None]:
    """Each test leaves no rows, keys, positions or Firebase accounts behind (ids are not
    restarted: the app caches the blocked set for a moment)."""
    yield
    async with db.acquire() as conn:
        uids = [
            r["firebase_uid"]
            for r in await conn.fetch(
                "SELECT firebase_uid FROM users UNION ALL "
                "SELECT firebase_uid FROM admins WHERE email <> $1",
                ADMIN_EMAIL,
            )
        ]
        await conn.execute("TRUNCATE follows, outbox, users, deletions, warnings, reports")
        await conn.execute("DELETE FROM admins WHERE email <> $1", ADMIN_EMAIL)
    await redis.flushdb()
    await mongo[MONGO_DATABASE]["user_location"].delete_many({})
    for uid in uids:
        if not uid.startswith("fake-"):
            await delete_firebase_account(http, uid)


@pytest.fixture
async def make_actor(db: asyncpg.Pool, http: httpx.AsyncClient) -> Any:
    async def make(is_athlete: bool = True, **fields: Any) -> Actor:
        async with db.acquire() as conn:
            user = await insert_user(conn, is_athlete, **fields)
        return Actor(user, bearer(await token(http, "user", user.id, is_athlete)))

    return make


@pytest.fixture
async def admin_headers(http: httpx.AsyncClient) -> dict[str, str]:
    return bearer(await token(http, "admin", 1))

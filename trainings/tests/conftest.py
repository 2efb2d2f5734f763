"""Tests run the app in process against real servers: Postgres (database ``trainings_test``,
migrated with dbmate), Redis (logical db 2), and the running authentication service (tokens,
JWKS, media storage on fake-gcs). ``make test`` at the root starts them all."""

import asyncio
import base64
import os
import random
import struct
import subprocess
import sys
import time
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from redis.asyncio import Redis

from trainings.app import create_app
from trainings.settings import Settings

Client = AsyncTestClient[Litestar]

AUTH_URL = os.environ.get("TRAININGS_AUTH_URL", "http://127.0.0.1:8002")
SERVICE_TOKEN = os.environ.get("TRAININGS_SERVICE_TOKEN", "fiufit-local-service-token")
POSTGRES = "postgresql://postgres@127.0.0.1:5432"
DATABASE = "trainings_test"
DATABASE_URL = f"{POSTGRES}/{DATABASE}"
REDIS_URL = "redis://127.0.0.1:6379/2"
STREAM = "fiufit:events"
MIGRATIONS = Path(__file__).parent.parent / "migrations"

# The people of the authorization matrix.
TRAINER = 101
OTHER_TRAINER = 102
ATHLETE = 201
OTHER_ATHLETE = 202
ADMIN = 1

# Small real images of two accepted kinds, base64 as the clients send them. authentication
# decodes every upload: it keeps a bare PNG byte for byte and re-encodes every JPEG.
PNG = (
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5E"
    "rkJggg=="
)
JPEG = (  # 2 x 2 pixels, written by Pillow
    "/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAMCAgMCAgMDAwMEAwMEBQgFBQQEBQoHBwYIDAoMDAsKCwsNDhIQDQ4RDg"
    "sLEBYQERMUFRUVDA8XGBYUGBIUFRT/2wBDAQMEBAUEBQkFBQkUDQsNFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQU"
    "FBQUFBQUFBQUFBQUFBQUFBQUFBQUFBT/wAARCAACAAIDASIAAhEBAxEB/8QAHwAAAQUBAQEBAQEAAAAAAAAAAAECAw"
    "QFBgcICQoL/8QAtRAAAgEDAwIEAwUFBAQAAAF9AQIDAAQRBRIhMUEGE1FhByJxFDKBkaEII0KxwRVS0fAkM2JyggkK"
    "FhcYGRolJicoKSo0NTY3ODk6Q0RFRkdISUpTVFVWV1hZWmNkZWZnaGlqc3R1dnd4eXqDhIWGh4iJipKTlJWWl5iZmq"
    "KjpKWmp6ipqrKztLW2t7i5usLDxMXGx8jJytLT1NXW19jZ2uHi4+Tl5ufo6erx8vP09fb3+Pn6/8QAHwEAAwEBAQEB"
    "AQEBAQAAAAAAAAECAwQFBgcICQoL/8QAtREAAgECBAQDBAcFBAQAAQJ3AAECAxEEBSExBhJBUQdhcRMiMoEIFEKRob"
    "HBCSMzUvAVYnLRChYkNOEl8RcYGRomJygpKjU2Nzg5OkNERUZHSElKU1RVVldYWVpjZGVmZ2hpanN0dXZ3eHl6goOE"
    "hYaHiImKkpOUlZaXmJmaoqOkpaanqKmqsrO0tba3uLm6wsPExcbHyMnK0tPU1dbX2Nna4uPk5ebn6Onq8vP09fb3+P"
    "n6/9oADAMBAAIRAxEAPwDwKiiivzI/uM//2Q=="
)


def noise_png(side: int, seed: int) -> str:
    """A real, bare RGB PNG of random pixels, base64: authentication keeps it byte for byte
    (up to its largest side), and it stays large whatever re-encodes it."""
    rnd = random.Random(seed)
    raw = b"".join(b"\x00" + rnd.randbytes(side * 3) for _ in range(side))

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data)
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    png = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw, 1))
        + chunk(b"IEND", b"")
    )
    return base64.b64encode(png).decode()


# How long a wait for a state may last before the test fails. Only a broken behaviour ever
# reaches it, so it is generous: a busy machine must not fail a test that waits for a state.
DEADLINE = 30.0


async def eventually(check: Callable[[], Awaitable[bool]], what: str) -> None:
    """Polls `check` until it holds: tests wait for a state, never for a fixed time."""
    deadline = time.monotonic() + DEADLINE
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError(f"still waiting after {DEADLINE:.0f} s for {what}")
        await asyncio.sleep(0.02)


def make_settings(**overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": DATABASE_URL,
        "database_pool_min": 1,
        "redis_url": REDIS_URL,
        "auth_url": AUTH_URL,
        "service_token": SERVICE_TOKEN,
        "events_stream": STREAM,
        "prometheus_port": 0,
        "upstream_timeout": 5.0,
        # Above authentication's own 5 MiB, so its 413 can be seen through this service.
        "max_media_bytes": 8 * 1024 * 1024,
        "outbox_poll_interval": 0.2,
        "blocked_users_max_age": 0,
        "log_level": "WARNING",
    }
    values.update(overrides)
    return Settings(**values)


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


_tokens: dict[tuple[str, int, bool | None], str] = {}
_auth = httpx.Client(base_url=AUTH_URL, headers={"X-Service-Token": SERVICE_TOKEN})


def issue_token(role: str, user_id: int, is_athlete: bool | None = None) -> str:
    key = (role, user_id, is_athlete)
    if key not in _tokens:
        body: dict[str, Any] = {"role": role, "id": user_id}
        if is_athlete is not None:
            body["is_athlete"] = is_athlete
        response = _auth.post("/auth/token", json=body)
        assert response.status_code == 201, response.text
        _tokens[key] = response.json()["data"]
    return _tokens[key]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def trainer(user_id: int = TRAINER) -> dict[str, str]:
    return bearer(issue_token("user", user_id, is_athlete=False))


def athlete(user_id: int = ATHLETE) -> dict[str, str]:
    return bearer(issue_token("user", user_id, is_athlete=True))


def admin(admin_id: int = ADMIN) -> dict[str, str]:
    return bearer(issue_token("admin", admin_id))


def training_body(**overrides: Any) -> dict[str, Any]:
    """A POST /trainings body as the mobile app sends it."""
    body: dict[str, Any] = {
        "title": "Arm day",
        "description": "Curls and dips",
        "type": "Arm",
        "difficulty": "Easy",
        "media": None,
        "exercises": [
            {"name": "Bicep curl", "type": "Arm", "unit": None, "count": 10, "series": 3},
            {"name": "Tricep dips", "type": "Arm", "unit": None, "count": 12, "series": 2},
        ],
        "trainer_id": "999",
    }
    body.update(overrides)
    return body


Create = Callable[..., Awaitable[dict[str, Any]]]


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

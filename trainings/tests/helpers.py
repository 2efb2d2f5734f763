"""Helpers the tests import (``from tests.helpers import ...``): the servers the tests run
against, the people of the authorization matrix, tokens, bodies and images."""

import asyncio
import base64
import contextlib
import logging
import os
import random
import struct
import time
import zlib
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from jose import jwk
from litestar import Litestar
from litestar.testing import AsyncTestClient

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


class _Recorder(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@contextlib.contextmanager
def recorded(logger_name: str) -> Iterator[list[str]]:
    """The warnings and errors `logger_name` logs while the block runs. Apps log from their own
    thread, and their logging set-up replaces the root's handlers: this listens on the logger
    itself."""
    recorder = _Recorder()
    logger = logging.getLogger(logger_name)
    logger.addHandler(recorder)
    try:
        yield recorder.messages
    finally:
        logger.removeHandler(recorder)


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
        "max_image_bytes": 8 * 1024 * 1024,
        "outbox_poll_interval": 0.2,
        "blocked_users_max_age": 0,
        "log_level": "WARNING",
    }
    values.update(overrides)
    return Settings(**values)


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


async def delete_stored(*names: str) -> None:
    """Deletes objects from authentication's storage, as the clean-up after a test."""
    if not names:
        return
    async with httpx.AsyncClient(
        base_url=f"{AUTH_URL}/auth/storage", headers={"X-Service-Token": SERVICE_TOKEN}
    ) as http:
        await asyncio.gather(*(http.delete(f"/{name}") for name in names))


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


async def create_training(
    client: Client, trainer_id: int = TRAINER, **overrides: Any
) -> dict[str, Any]:
    """POST /trainings as a trainer (default: TRAINER), which must answer 201: the training."""
    response = await client.post(
        "/trainings", json=training_body(**overrides), headers=trainer(trainer_id)
    )
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def es256_key_pair(kid: str) -> tuple[str, dict[str, Any]]:
    """A fresh private PEM, and its public half as authentication's JWKS publishes it."""
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
    public_jwk.update({"kid": kid, "use": "sig", "alg": "ES256"})
    return private_pem, public_jwk

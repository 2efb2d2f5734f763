"""What the tests share besides fixtures: the local stack's addresses, settings, request
bodies, tokens and waits (`from tests.helpers import ...`; fixtures live in conftest.py)."""

import asyncio
import json
import os
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import date
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from jose import jwk
from litestar import Litestar
from litestar.testing import AsyncTestClient

from users.db import Connection
from users.profiles import repository
from users.profiles.models import User
from users.settings import Settings

Client = AsyncTestClient[Litestar]

POSTGRES = os.environ.get("USERS_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432")
DATABASE_URL = f"{POSTGRES}/users_test"
REDIS_URL = "redis://127.0.0.1:6379/1"
MONGO_URL = os.environ.get("USERS_MONGO_URL", "mongodb://127.0.0.1:27017")
MONGO_DATABASE = "fiufit_test_users"
AUTH_URL = os.environ.get("USERS_AUTH_URL", "http://127.0.0.1:8002")
PAYMENT_URL = os.environ.get("USERS_PAYMENT_URL", "http://127.0.0.1:8020")
SERVICE_TOKEN = os.environ.get("USERS_SERVICE_TOKEN", "fiufit-local-service-token")
EMULATOR = f"http://{os.environ.get('FIREBASE_AUTH_EMULATOR_HOST', '127.0.0.1:9099')}"
PROJECT = "demo-fiufit"
ADMIN_EMAIL = f"users-test-admin-{uuid.uuid4().hex[:8]}@example.com"
ADMIN_PASSWORD = "users-test-admin-password"
STREAM = "fiufit:events"
CLOSED_PORT_URL = "127.0.0.1:1"  # nothing listens on port 1

PNG_B64 = (
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5E"
    "rkJggg=="
)
MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def make_settings(**overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": DATABASE_URL,
        "database_pool_min": 1,
        "database_pool_max": 5,
        "redis_url": REDIS_URL,
        "mongo_url": MONGO_URL,
        "mongo_database": MONGO_DATABASE,
        "mongo_timeout_ms": 1500,
        "auth_url": AUTH_URL,
        "payment_url": PAYMENT_URL,
        "service_token": SERVICE_TOKEN,
        "bootstrap_admin_email": ADMIN_EMAIL,
        "bootstrap_admin_password": ADMIN_PASSWORD,
        "prometheus_port": 0,
        "log_level": "WARNING",
        "upstream_timeout": 20.0,
        "blocked_sync_interval": 1.0,
        "suspension_sweep_interval": 0.2,
        "outbox_poll_interval": 0.2,
        # Only the event tests relay (each with its own app), so rows stay put for the others.
        "outbox_relay_enabled": False,
        # Tests sign up and recover many times from one client; the limit tests set their own.
        "signup_attempts_per_client": 10_000,
        "signup_attempts_per_email": 10_000,
        "recovery_attempts_per_client": 10_000,
        "recovery_attempts_per_account": 10_000,
    }
    values.update(overrides)
    return Settings(**values)


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


async def wait_for_bootstrap_admin(db: asyncpg.Pool, email: str) -> int:
    """The app creates its first admin in the background at start-up."""
    admin_id: int | None = None

    async def created() -> bool:
        nonlocal admin_id
        async with db.acquire() as conn:
            admin_id = await conn.fetchval("SELECT id FROM admins WHERE email = $1", email)
        return admin_id is not None

    await eventually(created, f"bootstrap admin {email} to be created")
    assert admin_id is not None
    return admin_id


def wait_for_bootstrap_to_finish(client: Client) -> None:
    """Blocks until the app's start-up task `bootstrap-admin` has ended, whatever it decided.
    The app runs in its own event loop, on the test client's portal thread: look there."""

    async def finished() -> None:
        running = [t for t in asyncio.all_tasks() if t.get_name() == "bootstrap-admin"]
        if running:  # none left means it has finished already
            _, pending = await asyncio.wait(running, timeout=DEADLINE)
            assert not pending, f"bootstrap-admin still running after {DEADLINE:.0f} s"

    client.blocking_portal.call(finished)


async def delete_firebase_account(http: httpx.AsyncClient, uid: str) -> None:
    await http.post(
        f"{EMULATOR}/identitytoolkit.googleapis.com/v1/projects/{PROJECT}/accounts:delete",
        json={"localId": uid},
        headers={"Authorization": "Bearer owner"},
    )


async def token(http: httpx.AsyncClient, role: str, id: int, is_athlete: bool | None = None) -> str:
    body: dict[str, Any] = {"role": role, "id": id}
    if role == "user":
        body["is_athlete"] = is_athlete
    response = await http.post(
        f"{AUTH_URL}/auth/token", json=body, headers={"X-Service-Token": SERVICE_TOKEN}
    )
    assert response.status_code == 201, response.text
    return str(response.json()["data"])


def bearer(jwt: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {jwt}"}


def unique(prefix: str = "u") -> str:
    return f"{prefix}{uuid.uuid4().hex[:10]}"


def unique_email() -> str:
    return f"{unique('test-')}@example.com"


def profile(**overrides: Any) -> dict[str, Any]:
    """A sign-up body as the mobile app sends it."""
    body: dict[str, Any] = {
        "email": unique_email(),
        "password": "secret-password",
        "username": unique(),
        "name": "Jorge",
        "surname": "Pérez",
        "height": 1.75,
        "weight": 70,
        "birth_date": "1990-04-23",
        "registration_date": date.today().isoformat(),
        "location": "villa crespo",
        "is_athlete": True,
        "image": None,
    }
    body.update(overrides)
    return body


def google_credential(email: str) -> str:
    """What the Firebase Auth emulator accepts as a Google id_token: unsigned JSON."""
    return json.dumps({"sub": unique("g-"), "email": email, "email_verified": True})


class Actor:
    """A user row made directly in the database (no Firebase account) and its token."""

    def __init__(self, user: User, headers: dict[str, str]) -> None:
        self.user = user
        self.id = user.id
        self.headers = headers


async def insert_user(conn: Connection, is_athlete: bool, **fields: Any) -> User:
    values: dict[str, Any] = {
        "username": unique(),
        "name": "Ana",
        "surname": "Gómez",
        "height": 1.6,
        "weight": 55,
        "birth_date": date(1995, 1, 2),
        "location": "palermo",
        "is_athlete": is_athlete,
    }
    values.update(fields)
    return await repository.insert_user(
        conn, unique("fake-"), fields.get("email", unique_email()), values, "email"
    )


async def sign_up(client: Client, **overrides: Any) -> dict[str, Any]:
    body = profile(**overrides)
    response = await client.post("/users", json=body)
    assert response.status_code == 201, response.text
    return {**response.json(), "password": body["password"]}


async def outbox_metrics(db: asyncpg.Pool) -> list[tuple[str, str | None]]:
    async with db.acquire() as conn:
        rows = await conn.fetch("SELECT payload FROM outbox ORDER BY created_at")
    return [
        (json.loads(r["payload"])["metric"], json.loads(r["payload"]).get("label")) for r in rows
    ]


def es256_key_pair(kid: str) -> tuple[str, dict[str, Any]]:
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
    public_jwk.update({"kid": kid, "use": "sig", "alg": "ES256"})
    return private_pem, public_jwk


def readiness_body(redis: str = "ok", mongo: str = "ok") -> dict[str, object]:
    """What /users/readiness/ answers when Postgres is up: Redis and MongoDB are soft."""
    return {
        "ready": True,
        "degraded": redis != "ok" or mongo != "ok",
        "checks": {"postgres": "ok", "redis": redis, "mongo": mongo},
    }

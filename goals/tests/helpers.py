"""What the tests share besides fixtures: where the test infrastructure is, a clock the tests
move, settings, tokens and goal bodies. The test database is made by tests/database.py (glue)."""

import os
import socket
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from jose import jwk
from litestar import Litestar
from litestar.testing import AsyncTestClient

from goals.settings import Settings

MIGRATIONS = Path(__file__).resolve().parents[1] / "migrations"
POSTGRES = os.environ.get("GOALS_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432")
DATABASE_URL = f"{POSTGRES}/goals_test"
REDIS_URL = "redis://127.0.0.1:6379/3"
AUTH_URL = os.environ.get("GOALS_AUTH_URL", "http://127.0.0.1:8002")
SERVICE_TOKEN = os.environ.get("GOALS_SERVICE_TOKEN", "fiufit-local-service-token")
STREAM = "fiufit:events"

# Smallest real PNG (authentication accepts JPEG, PNG and WebP only).
PNG_B64 = (
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg"
    "=="
)
START = datetime(2026, 6, 14, 12, 0, tzinfo=UTC)

Client = AsyncTestClient[Litestar]


class FakeClock:
    """The app's clock, moved by hand: tests never sleep."""

    def __init__(self, now: datetime = START) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def set(self, now: datetime) -> None:
        self.now = now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def free_port() -> int:
    """A TCP port nothing listens on right now (for a server a test starts, or nobody at all)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def make_settings(**overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": DATABASE_URL,
        "redis_url": REDIS_URL,
        "auth_url": AUTH_URL,
        "service_token": SERVICE_TOKEN,
        "prometheus_port": 0,
        "log_level": "WARNING",
        "blocked_users_max_age": 0,
        "outbox_relay_enabled": False,
        "upstream_timeout": 5.0,
    }
    values.update(overrides)
    return Settings(**values)


_tokens: dict[tuple[str, int, bool | None], str] = {}


def token(role: str = "user", user_id: int = 5, is_athlete: bool | None = True) -> str:
    key = (role, user_id, is_athlete if role == "user" else None)
    if key not in _tokens:
        body: dict[str, Any] = {"role": role, "id": user_id}
        if role == "user":
            body["is_athlete"] = is_athlete
        response = httpx.post(
            f"{AUTH_URL}/auth/token", json=body, headers={"X-Service-Token": SERVICE_TOKEN}
        )
        assert response.status_code == 201, response.text
        _tokens[key] = response.json()["data"]
    return _tokens[key]


def user(user_id: int = 5) -> dict[str, str]:
    return {"Authorization": f"Bearer {token('user', user_id)}"}


def admin(admin_id: int = 1) -> dict[str, str]:
    return {"Authorization": f"Bearer {token('admin', admin_id)}"}


def new_goal(**overrides: Any) -> dict[str, Any]:
    """A goal as the app posts it (objective as a string of digits, no image)."""
    body: dict[str, Any] = {
        "title": "Run",
        "description": "Run 10k",
        "metric": "distance",
        "objective": "10",
        "time_limit": (START + timedelta(days=3)).date().isoformat(),
        "image": None,
    }
    body.update(overrides)
    return body


async def create_goal(client: Client, user_id: int = 5, **overrides: Any) -> dict[str, Any]:
    response = await client.post(
        f"/goals/{user_id}", json=new_goal(**overrides), headers=user(user_id)
    )
    assert response.status_code == 201, response.text
    goal: dict[str, Any] = response.json()
    return goal


async def set_progress(client: Client, goal: dict[str, Any], progress: Any) -> dict[str, Any]:
    """PATCH the whole card as the app does: time_limit "", progress as typed."""
    card = {**goal, "progress": progress, "time_limit": ""}
    response = await client.patch(f"/goals/{goal['id']}", json=card, headers=user(goal["user_id"]))
    assert response.status_code == 200, response.text
    updated: dict[str, Any] = response.json()
    return updated


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

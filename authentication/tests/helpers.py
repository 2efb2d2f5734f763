"""What the tests share: the emulators' addresses and admin calls, the test settings, sample
images, clients that present the service credential, unique e-mails. Fixtures live in
conftest.py."""

import base64
import io
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from PIL import Image

os.environ.setdefault("FIREBASE_AUTH_EMULATOR_HOST", "127.0.0.1:9099")
os.environ.setdefault("STORAGE_EMULATOR_HOST", "http://127.0.0.1:4443")

from authentication.app import create_app
from authentication.settings import Settings
from authentication.tokens.keys import generate_private_pem

Client = AsyncTestClient[Litestar]

SERVICE_TOKEN = "test-service-token"
PROJECT = "demo-fiufit"
BUCKET = "fiufit-authentication-test"
EMULATOR = f"http://{os.environ['FIREBASE_AUTH_EMULATOR_HOST']}"

# Smallest real images of each accepted kind.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


def encode(image: Image.Image, image_format: str, **params: Any) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, image_format, **params)
    return buffer.getvalue()


# A real JPEG (every JPEG is re-encoded at upload, so only a decodable one is accepted).
JPEG = encode(Image.new("RGB", (8, 8), (200, 30, 30)), "JPEG")
WEBP = (
    b"RIFF\x1a\x00\x00\x00WEBPVP8L\x0d\x00\x00\x00"
    b"\x2f\x00\x00\x00\x10\x07\x10\x11\x11\x88\x88\xfe\x07\x00"
)


def make_settings(**overrides: Any) -> Settings:
    # Local mode: the tests run against the emulators, which only local mode may use. The key and
    # the service token are given as a cluster gives them.
    values: dict[str, Any] = {
        "local_mode": True,
        "jwt_private_key": generate_private_pem("ES256"),
        "service_token": SERVICE_TOKEN,
        "firebase_project_id": PROJECT,
        "storage_bucket": BUCKET,
        "prometheus_port": 0,
        "upstream_timeout": 3.0,
        "max_image_bytes": 64 * 1024,
        "log_level": "WARNING",
    }
    values.update(overrides)
    return Settings(**values)


@asynccontextmanager
async def service_client(app: Litestar) -> AsyncIterator[AsyncTestClient[Litestar]]:
    """A client that presents the internal service credential, as FiuFit services do."""
    async with AsyncTestClient(app=app) as client:
        client.headers["X-Service-Token"] = SERVICE_TOKEN
        yield client


@asynccontextmanager
async def client_with_env(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> AsyncIterator[AsyncTestClient[Litestar]]:
    """A fresh app built while an environment variable (an emulator address) is overridden."""
    monkeypatch.setenv(name, value)
    async with service_client(create_app(make_settings(upstream_timeout=1.0))) as client:
        yield client


def unique_email() -> str:
    return f"test-{uuid.uuid4().hex[:12]}@fiufit-test.com"


async def create_account(client: Client, created: list[str], email: str, password: str) -> str:
    response = await client.post("/auth/accounts", json={"email": email, "password": password})
    assert response.status_code == 201, response.text
    uid: str = response.json()["id"]
    created.append(uid)
    return uid


def create_bucket(name: str = BUCKET) -> None:
    """A bucket in fake-gcs-server, the tests' by default (there already is fine)."""
    response = httpx.post(
        f"{os.environ['STORAGE_EMULATOR_HOST']}/storage/v1/b", json={"name": name}
    )
    assert response.status_code in (200, 409), response.text


def empty_bucket(name: str) -> None:
    """Deletes every object of a bucket in fake-gcs-server."""
    objects = f"{os.environ['STORAGE_EMULATOR_HOST']}/storage/v1/b/{name}/o"
    with httpx.Client() as http:
        listing = http.get(objects)
        assert listing.status_code == 200, listing.text
        for item in listing.json().get("items", []):
            gone = http.delete(f"{objects}/{quote(item['name'], safe='')}")
            assert gone.status_code in (200, 204, 404), gone.text


def delete_project_accounts(project: str) -> None:
    """Deletes every account of a Firebase project in the Auth emulator."""
    response = httpx.delete(f"{EMULATOR}/emulator/v1/projects/{project}/accounts")
    assert response.status_code == 200, response.text


async def emulator_accounts(method: str, body: dict[str, Any]) -> httpx.Response:
    """An admin call to the Auth emulator's Identity Toolkit (`accounts:lookup`, `…:delete`)."""
    async with httpx.AsyncClient() as http:
        return await http.post(
            f"{EMULATOR}/identitytoolkit.googleapis.com/v1/projects/{PROJECT}/{method}",
            json=body,
            headers={"Authorization": "Bearer owner"},
        )


async def lookup_account(uid: str) -> dict[str, Any]:
    """The emulator's record of the account ``uid``."""
    response = await emulator_accounts("accounts:lookup", {"localId": [uid]})
    account: dict[str, Any] = response.json()["users"][0]
    return account


async def delete_accounts(uids: list[str]) -> None:
    for uid in uids:
        await emulator_accounts("accounts:delete", {"localId": uid})

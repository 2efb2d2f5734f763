"""Dependencies that go away: MongoDB → 503 where positions are needed; Redis → requests still
served (rate limits fail open, the blocked set keeps its last value, events wait). Neither takes
the service out of rotation: readiness fails only without Postgres."""

import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from litestar.testing import AsyncTestClient
from prometheus_client import REGISTRY

from tests.helpers import (
    CLOSED_PORT_URL,
    PNG_B64,
    SERVICE_TOKEN,
    Actor,
    Client,
    eventually,
    make_settings,
    profile,
    readiness_body,
)
from users.app import create_app
from users.errors import ServiceUnavailable
from users.profiles.avatar import AVATAR_WORDING, avatar_name
from users.storage import Storage


async def test_without_mongo_nearby_search_is_503_and_the_rest_stays_ready(make_actor: Any) -> None:
    athlete: Actor = await make_actor()
    app = create_app(make_settings(mongo_url=f"mongodb://{CLOSED_PORT_URL}", mongo_timeout_ms=300))
    async with AsyncTestClient(app=app) as client:
        nearby = await client.get(
            "/users", params={"latitude": -34.6, "longitude": -58.4}, headers=athlete.headers
        )
        assert nearby.status_code == 503
        assert nearby.json()["detail"].startswith("Location store is unavailable")
        ready = await client.get("/users/readiness/")
        assert ready.status_code == 200, ready.text
        assert ready.json() == readiness_body(mongo="unavailable")
        # Everything that does not need positions keeps working.
        me = await client.get(f"/users/{athlete.id}", headers=athlete.headers)
        assert me.status_code == 200


async def test_a_storage_refusing_this_service_is_503_for_avatars_only(
    client: Client, make_actor: Any
) -> None:
    athlete: Actor = await make_actor()
    path = f"/users/{athlete.id}"
    stored = await client.patch(path, json={"image": PNG_B64}, headers=athlete.headers)
    assert stored.status_code == 200, stored.text
    # authentication refuses a wrong service credential: its storage is unusable for this app.
    app = create_app(make_settings(service_token="wrong-token"))
    unavailable = {"detail": "The authentication service is unavailable"}
    async with AsyncTestClient(app=app) as other:
        found = await other.get(
            "/users", params={"username": athlete.user.username}, headers=athlete.headers
        )
        assert (found.status_code, found.json()) == (503, unavailable)
        edit = await other.patch(path, json={"image": PNG_B64}, headers=athlete.headers)
        assert (edit.status_code, edit.json()) == (503, unavailable)
        # What does not need storage keeps working.
        renamed = await other.patch(path, json={"name": "Nuevo"}, headers=athlete.headers)
        assert renamed.status_code == 200, renamed.text


async def test_storage_down_is_503_in_this_service_s_words() -> None:
    async with httpx.AsyncClient(timeout=1) as http:
        storage = Storage(http, f"http://{CLOSED_PORT_URL}", SERVICE_TOKEN, AVATAR_WORDING)
        for call in (
            storage.put(avatar_name(1), PNG_B64),
            storage.get(avatar_name(1)),
            storage.delete(avatar_name(1)),
            storage.ping(),
        ):
            with pytest.raises(ServiceUnavailable) as raised:
                await call
            assert raised.value.status_code == 503
        with pytest.raises(ServiceUnavailable) as raised:
            await storage.get(avatar_name(1))
        assert raised.value.detail == "The authentication service is unavailable"


async def test_without_redis_requests_are_still_served(make_actor: Any) -> None:
    athlete: Actor = await make_actor()
    down = f"redis://{CLOSED_PORT_URL}/1"
    app = create_app(
        make_settings(redis_url=down, events_redis_url=down, outbox_relay_enabled=True)
    )
    async with AsyncTestClient(app=app) as client:
        me = await client.get(f"/users/{athlete.id}", headers=athlete.headers)
        assert me.status_code == 200, me.text
        created = await client.post("/users", json=profile())
        assert created.status_code == 201, created.text
        body = {"email": created.json()["email"], "password": "secret-password"}
        login = await client.post("/users/login", json=body)
        assert login.status_code == 200, login.text
        ready = await client.get("/users/readiness/")
        assert ready.status_code == 200 and ready.json()["checks"]["redis"] == "unavailable"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def private_redis() -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """A redis-server of this test's own, so the test can stop it."""
    server = shutil.which("redis-server")
    if server is None:
        pytest.fail("redis-server is not installed (overlays/infra.sh installs it)")
    port = free_port()
    with tempfile.TemporaryDirectory() as data:
        process = subprocess.Popen(
            [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir", data],
            stdout=subprocess.DEVNULL,
        )
        try:
            yield process, f"redis://127.0.0.1:{port}/0"
        finally:
            process.kill()
            process.wait()


def gauge(dependency: str) -> float | None:
    return REGISTRY.get_sample_value("fiufit_users_dependency_up", {"dependency": dependency})


async def test_a_redis_outage_keeps_users_in_rotation(
    private_redis: tuple[subprocess.Popen[bytes], str], make_actor: Any
) -> None:
    """The bug: Redis stopped → readiness 503 → Kubernetes pulls every replica at once, though
    reads, logins and sign-ups still work."""
    process, url = private_redis
    athlete: Actor = await make_actor()
    app = create_app(make_settings(redis_url=url, bootstrap_admin_email=None))
    async with AsyncTestClient(app=app) as client:

        async def redis_up() -> bool:
            try:
                return (await client.get("/users/readiness/")).json()["checks"]["redis"] == "ok"
            except (httpx.HTTPError, ValueError):
                return False

        await eventually(redis_up, "the private Redis to answer")
        assert gauge("redis") == 1

        process.terminate()
        process.wait()
        ready = await client.get("/users/readiness/")
        assert ready.status_code == 200, ready.text
        assert ready.json() == readiness_body(redis="unavailable")
        assert gauge("redis") == 0 and gauge("postgres") == 1
        # And the service does serve: a read, a sign-up, a login.
        me = await client.get(f"/users/{athlete.id}", headers=athlete.headers)
        assert me.status_code == 200, me.text
        created = await client.post("/users", json=profile())
        assert created.status_code == 201, created.text
        login = await client.post(
            "/users/login",
            json={"email": created.json()["email"], "password": "secret-password"},
        )
        assert login.status_code == 200, login.text


async def test_without_postgres_readiness_fails_without_echoing_the_error() -> None:
    app = create_app(make_settings(bootstrap_admin_email=None))
    async with AsyncTestClient(app=app) as client:
        # Closing the pool (in the app's own event loop) stands in for a database that has
        # gone: acquiring a connection now fails.
        client.blocking_portal.call(app.state.services.pool.close)
        ready = await client.get("/users/readiness/")
        assert ready.status_code == 503, ready.text
        assert ready.json()["ready"] is False
        assert ready.json()["checks"]["postgres"] == "unavailable"
        assert gauge("postgres") == 0

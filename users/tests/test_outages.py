"""Dependencies that go away: MongoDB → 503 where positions are needed; Redis → requests still
served (rate limits fail open, the blocked set keeps its last value, events wait)."""

from typing import Any

from litestar.testing import AsyncTestClient

from tests.conftest import CLOSED_PORT_URL, Actor, make_settings, profile
from users.app import create_app


async def test_without_mongo_nearby_search_is_503_and_not_ready(make_actor: Any) -> None:
    athlete: Actor = await make_actor()
    app = create_app(make_settings(mongo_url=f"mongodb://{CLOSED_PORT_URL}", mongo_timeout_ms=300))
    async with AsyncTestClient(app=app) as client:
        nearby = await client.get(
            "/users", params={"latitude": -34.6, "longitude": -58.4}, headers=athlete.headers
        )
        assert nearby.status_code == 503
        assert nearby.json()["detail"].startswith("Location store is unavailable")
        ready = await client.get("/users/readiness/")
        assert ready.status_code == 503 and ready.json()["checks"]["mongo"] != "ok"
        # Everything that does not need positions keeps working.
        me = await client.get(f"/users/{athlete.id}", headers=athlete.headers)
        assert me.status_code == 200


async def test_without_redis_requests_are_still_served(make_actor: Any) -> None:
    athlete: Actor = await make_actor()
    down = f"redis://{CLOSED_PORT_URL}/1"
    app = create_app(make_settings(redis_url=down, events_redis_url=down, outbox_relay=True))
    async with AsyncTestClient(app=app) as client:
        me = await client.get(f"/users/{athlete.id}", headers=athlete.headers)
        assert me.status_code == 200, me.text
        created = await client.post("/users", json=profile())
        assert created.status_code == 201, created.text
        body = {"email": created.json()["email"], "password": "secret-password"}
        login = await client.post("/users/login", json=body)
        assert login.status_code == 200, login.text
        ready = await client.get("/users/readiness/")
        assert ready.status_code == 503 and ready.json()["checks"]["redis"] != "ok"

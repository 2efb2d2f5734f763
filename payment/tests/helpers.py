"""Small helpers shared by the test modules."""

import asyncio
import itertools
import json
import time
import uuid
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

import httpx
from litestar import Litestar
from litestar.testing import AsyncTestClient
from redis.asyncio import Redis

from payment.services import Services

Client = AsyncTestClient[Litestar]  # an httpx.AsyncClient, like the helpers take
_ids = itertools.count(1000)
# The shared client carries the service credential; this overrides it with nothing.
NO_TOKEN = {"X-Service-Token": ""}
# How long `eventually` waits for a state before the test fails (a bound, not a delay).
DEADLINE = 60.0


def services_of(app: Litestar) -> Services:
    """The services bag a running app's lifespan opened."""
    services: Services = app.state.services
    return services


def new_user_id() -> int:
    return next(_ids)


def key() -> dict[str, str]:
    return {"Idempotency-Key": uuid.uuid4().hex}


async def wallet(client: httpx.AsyncClient, user_id: int | None = None) -> dict[str, Any]:
    response = await client.post("/payment/wallets", json={"user_id": user_id or new_user_id()})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def balance(client: httpx.AsyncClient, user_id: int) -> Decimal:
    response = await client.get(f"/payment/wallets/{user_id}/balance")
    assert response.status_code == 200, response.text
    return Decimal(response.json()["balance"])


async def top_up(client: httpx.AsyncClient, user_id: int, amount: str) -> dict[str, Any]:
    response = await client.post(
        "/payment/top-ups", json={"user_id": user_id, "amount": amount}, headers=key()
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    assert body["status"] == "confirmed", body
    return body


async def eventually(check: Callable[[], Awaitable[bool]], what: str) -> None:
    """Polls ``check`` until it holds: tests wait for a state, never for a fixed time."""
    deadline = time.monotonic() + DEADLINE
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError(f"still waiting after {DEADLINE:.0f} s for {what}")
        await asyncio.sleep(0.02)


async def published(redis: Redis, stream: str = "fiufit:events") -> list[dict[str, Any]]:
    """The events on the stream, oldest first, as the metrics consumer reads them."""
    return [json.loads(fields[b"event"]) for _, fields in await redis.xrange(stream)]

"""Small helpers shared by the test modules."""

import itertools
import uuid
from decimal import Decimal
from typing import Any

import httpx
from litestar import Litestar
from litestar.testing import AsyncTestClient

Client = AsyncTestClient[Litestar]  # an httpx.AsyncClient, like the helpers take
_ids = itertools.count(1000)
# The shared client carries the service credential; this overrides it with nothing.
NO_TOKEN = {"X-Service-Token": ""}


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

"""Account deletion: DELETE /users/{id} takes the row, its follows and warnings at once, kills
the user's tokens at once, unlinks the wallet first (payment refuses while money is left), and
leaves the other steps (Firebase, avatar, position, trainings, goals) to the worker, retried
until each succeeds. tests/test_across_services.py stops trainings and goals mid-way."""

import json
from decimal import Decimal
from typing import Any

import asyncpg
import httpx
import pytest
from pymongo import AsyncMongoClient

from tests.helpers import (
    AUTH_URL,
    MONGO_DATABASE,
    PNG_B64,
    SERVICE_TOKEN,
    Client,
    bearer,
    eventually,
    sign_up,
    token,
)


async def deletion(client: Client, admin: dict[str, str], user_id: int) -> Any:
    response = await client.get(f"/admins/deletions/{user_id}", headers=admin)
    assert response.status_code == 200, response.text
    return response.json()


async def avatar_status(http: httpx.AsyncClient, user_id: int) -> int:
    response = await http.get(
        f"{AUTH_URL}/auth/storage/users/{user_id}/avatar",
        headers={"X-Service-Token": SERVICE_TOKEN},
    )
    return response.status_code


async def test_a_user_deletes_their_account_and_it_is_gone_at_once(
    client: Client,
    make_actor: Any,
    admin_headers: dict[str, str],
    http: httpx.AsyncClient,
    db: asyncpg.Pool,
    mongo: AsyncMongoClient[dict[str, Any]],
) -> None:
    user = await sign_up(client, image=PNG_B64, is_athlete=False)
    headers = bearer(await token(http, "user", user["id"], False))
    moved = await client.patch(
        f"/users/{user['id']}", json={"coordinates": [-58.43, -34.6]}, headers=headers
    )
    assert moved.status_code == 200, moved.text
    friend = await make_actor()
    for path in (f"/users/{user['id']}/followed/{friend.id}",):
        assert (await client.post(path, headers=headers)).status_code in (200, 201)
    assert (
        await client.post(f"/users/{friend.id}/followed/{user['id']}", headers=friend.headers)
    ).status_code in (200, 201)
    assert await avatar_status(http, user["id"]) == 200

    deleted = await client.delete(f"/users/{user['id']}", headers=headers)
    assert deleted.status_code == 202, deleted.text
    body = deleted.json()
    assert body["user_id"] == user["id"] and body["requested_by"] is None
    assert body["completed_at"] is None and "trainings" in body["pending"]

    # At once: the row, both follows, every login; every token within the blocked set's age
    # (2 s, as for a block).
    assert (await client.get(f"/users/{user['id']}", headers=admin_headers)).status_code == 404

    async def refused() -> bool:
        return (await client.get(f"/users/{friend.id}", headers=headers)).status_code == 401

    await eventually(refused, "the deleted user's token to be refused")
    followers = await client.get(f"/users/{friend.id}/followers", headers=friend.headers)
    assert followers.json() == []
    assert (await client.get(f"/users/{friend.id}/followed", headers=friend.headers)).json() == []
    login = await client.post(
        "/users/login", json={"email": user["email"], "password": user["password"]}
    )
    assert login.status_code == 401

    # The worker: every step done.
    async def completed() -> bool:
        return (await deletion(client, admin_headers, user["id"]))["completed_at"] is not None

    await eventually(completed, "the deletion to complete")
    shown = await deletion(client, admin_headers, user["id"])
    assert shown["pending"] == [] and shown["last_error"] is None
    assert await avatar_status(http, user["id"]) == 404
    positions = mongo[MONGO_DATABASE]["user_location"]
    assert await positions.count_documents({"user_id": user["id"]}) == 0
    firebase = await http.post(
        f"{AUTH_URL}/auth/accounts/login",
        json={"email": user["email"], "password": user["password"]},
        headers={"X-Service-Token": SERVICE_TOKEN},
    )
    assert firebase.status_code == 401, firebase.text
    # The event, labelled by who asked; no audit entry when the user deletes themself.
    async with db.acquire() as conn:
        payloads = [
            json.loads(r["payload"]) for r in await conn.fetch("SELECT payload FROM outbox")
        ]
    assert [p.get("label") for p in payloads if p["metric"] == "user_deleted_count"] == ["by_user"]
    audit = await client.get(
        "/admins/audit", params={"action": "user_deleted"}, headers=admin_headers
    )
    assert audit.json()["items"] == []


async def test_an_admin_deletes_an_account_once_and_the_audit_log_says_so(
    client: Client, make_actor: Any, admin_headers: dict[str, str], db: asyncpg.Pool
) -> None:
    target = await make_actor()
    first = await client.delete(f"/users/{target.id}", headers=admin_headers)
    assert first.status_code == 202, first.text
    assert first.json()["requested_by"] == 1
    again = await client.delete(f"/users/{target.id}", headers=admin_headers)
    assert again.status_code == 202 and again.json()["requested_at"] == first.json()["requested_at"]
    audit = await client.get(
        "/admins/audit",
        params={"target_type": "user", "target_id": target.id},
        headers=admin_headers,
    )
    assert [(e["action"], e["actor_id"]) for e in audit.json()["items"]] == [("user_deleted", 1)]
    async with db.acquire() as conn:
        labels = [
            json.loads(r["payload"]).get("label")
            for r in await conn.fetch("SELECT payload FROM outbox")
            if json.loads(r["payload"])["metric"] == "user_deleted_count"
        ]
    assert labels == ["by_admin"]


async def test_a_wallet_with_money_refuses_the_deletion(
    client: Client, admin_headers: dict[str, str], http: httpx.AsyncClient
) -> None:
    user = await sign_up(client)
    headers = bearer(await token(http, "user", user["id"], True))
    topped = await client.patch(
        f"/users/{user['id']}/wallet/balance",
        json={"amount": "0.01"},
        headers={**admin_headers, "Idempotency-Key": f"delete-{user['id']}"},
    )
    assert topped.status_code in (200, 201), topped.text

    async def funded() -> bool:
        shown = await client.get(f"/users/{user['id']}/wallet/balance", headers=headers)
        return Decimal(shown.json()["balance"]["balance"]) > 0

    await eventually(funded, "the top-up to land")
    refused = await client.delete(f"/users/{user['id']}", headers=headers)
    assert refused.status_code == 409, refused.text
    assert "withdraw" in refused.json()["detail"].lower()
    # Nothing happened: the account, its token and its login all still work.
    assert (await client.get(f"/users/{user['id']}", headers=headers)).status_code == 200
    missing = await client.get(f"/admins/deletions/{user['id']}", headers=admin_headers)
    assert missing.status_code == 404


@pytest.mark.parametrize("path", ["/users/0", "/users/x", f"/users/{2**63}"])
async def test_bad_ids_are_a_400_or_404(
    client: Client, admin_headers: dict[str, str], path: str
) -> None:
    response = await client.delete(path, headers=admin_headers)
    assert response.status_code in (400, 404), response.text


async def test_an_unknown_user_is_a_404(client: Client, admin_headers: dict[str, str]) -> None:
    assert (await client.delete("/users/999999999", headers=admin_headers)).status_code == 404
    assert (
        await client.get("/admins/deletions/999999999", headers=admin_headers)
    ).status_code == 404

"""Suspensions: a report resolved with `suspend` blocks the user for `days`, every token and
login refused as for a block, until the suspension runs out and the service lifts it by
itself. The tests move a suspension's end into the past in the database (the clock moving
on) and wait for the lift."""

from typing import Any

import asyncpg
import httpx
import pytest

from tests.helpers import Client, bearer, eventually, outbox_metrics, sign_up, token


async def suspend(client: Client, admin: dict[str, str], reporter: Any, target_id: int) -> Any:
    made = await client.post(
        f"/users/{target_id}/reports", json={"reason": "harassment"}, headers=reporter.headers
    )
    assert made.status_code == 201, made.text
    resolved = await client.patch(
        f"/admins/reports/{made.json()['id']}",
        json={"action": "suspend", "days": 3, "note": "cool off"},
        headers=admin,
    )
    assert resolved.status_code == 200, resolved.text
    return resolved.json()


async def run_out(db: asyncpg.Pool, user_id: int) -> None:
    async with db.acquire() as conn:
        await conn.execute(
            "UPDATE users SET suspended_until = now() - interval '1 second' WHERE id = $1",
            user_id,
        )


async def login(client: Client, user: dict[str, Any]) -> int:
    response = await client.post(
        "/users/login", json={"email": user["email"], "password": user["password"]}
    )
    return response.status_code


async def audit_actions(client: Client, admin: dict[str, str], user_id: int) -> list[Any]:
    response = await client.get(
        "/admins/audit", params={"target_type": "user", "target_id": user_id}, headers=admin
    )
    return [(e["action"], e["actor_id"]) for e in reversed(response.json()["items"])]


async def test_a_suspension_refuses_the_user_until_it_runs_out(
    client: Client,
    make_actor: Any,
    admin_headers: dict[str, str],
    http: httpx.AsyncClient,
    db: asyncpg.Pool,
) -> None:
    user = await sign_up(client)
    headers = bearer(await token(http, "user", user["id"], True))
    body = await suspend(client, admin_headers, await make_actor(), user["id"])
    assert body["report"]["outcome"] == "suspend"
    assert (await client.get(f"/users/{user['id']}", headers=admin_headers)).json()["is_blocked"]

    async def refused() -> bool:
        return (await client.get(f"/users/{user['id']}", headers=headers)).status_code == 401

    await eventually(refused, "the suspended user's token to be refused")
    assert await login(client, user) == 401
    queue = await client.get(
        "/admins/reports", params={"status": "resolved"}, headers=admin_headers
    )
    [shown] = [i for i in queue.json()["items"] if i["report"]["id"] == body["report"]["id"]]
    assert shown["target"]["is_blocked"] and shown["target"]["suspended_until"]

    await run_out(db, user["id"])

    async def accepted() -> bool:
        fresh = bearer(await token(http, "user", user["id"], True))
        return (await client.get(f"/users/{user['id']}", headers=fresh)).status_code == 200

    await eventually(accepted, "the user to be accepted once the suspension ran out")
    assert await login(client, user) == 200
    assert (await client.get(f"/users/{user['id']}", headers=admin_headers)).json()[
        "is_blocked"
    ] is False
    assert await audit_actions(client, admin_headers, user["id"]) == [
        ("user_suspended", 1),
        ("suspension_expired", None),
    ]


async def test_a_block_ends_a_suspension_for_good(
    client: Client, make_actor: Any, admin_headers: dict[str, str], db: asyncpg.Pool
) -> None:
    target, reporter = await make_actor(), await make_actor()
    await suspend(client, admin_headers, reporter, target.id)
    made = await client.post(
        f"/users/{target.id}/reports", json={"reason": "spam"}, headers=(await make_actor()).headers
    )
    blocked = await client.patch(
        f"/admins/reports/{made.json()['id']}", json={"action": "block"}, headers=admin_headers
    )
    assert blocked.status_code == 200, blocked.text
    async with db.acquire() as conn:
        row = await conn.fetchrow(
            "SELECT is_blocked, suspended_until FROM users WHERE id = $1", target.id
        )
    assert row["is_blocked"] and row["suspended_until"] is None
    # Counted once, when the suspension began: making it a block is no second block.
    blocks = [m for m, _ in await outbox_metrics(db) if m == "user_blocked_count"]
    assert blocks == ["user_blocked_count"]
    # A later suspension does not shorten the block.
    await suspend(client, admin_headers, await make_actor(), target.id)
    async with db.acquire() as conn:
        assert (
            await conn.fetchval("SELECT suspended_until FROM users WHERE id = $1", target.id)
            is None
        )
    assert [a for a, _ in await audit_actions(client, admin_headers, target.id)] == [
        "user_suspended",
        "user_blocked",
    ]


async def test_the_block_toggle_lifts_a_suspension_by_hand(
    client: Client, make_actor: Any, admin_headers: dict[str, str], db: asyncpg.Pool
) -> None:
    target = await make_actor()
    await suspend(client, admin_headers, await make_actor(), target.id)
    toggled = await client.patch(f"/users/status/{target.id}", headers=admin_headers)
    assert toggled.json()["is_blocked"] is False
    async with db.acquire() as conn:
        assert (
            await conn.fetchval("SELECT suspended_until FROM users WHERE id = $1", target.id)
            is None
        )


@pytest.mark.parametrize(
    "body",
    [
        {"action": "suspend"},
        {"action": "suspend", "days": 0},
        {"action": "suspend", "days": 366},
        {"action": "suspend", "days": "three"},
        {"action": "suspend", "days": 1.5},
        {"action": "suspend", "days": None},
    ],
)
async def test_suspend_needs_days(
    client: Client, make_actor: Any, admin_headers: dict[str, str], body: dict[str, Any]
) -> None:
    target = await make_actor()
    made = await client.post(
        f"/users/{target.id}/reports", json={"reason": "spam"}, headers=(await make_actor()).headers
    )
    refused = await client.patch(
        f"/admins/reports/{made.json()['id']}", json=body, headers=admin_headers
    )
    assert refused.status_code == 400, refused.text
    queue = await client.get("/admins/reports", headers=admin_headers)
    assert made.json()["id"] in [i["report"]["id"] for i in queue.json()["items"]]


async def test_days_are_ignored_by_another_action(
    client: Client, make_actor: Any, admin_headers: dict[str, str], db: asyncpg.Pool
) -> None:
    target = await make_actor()
    made = await client.post(
        f"/users/{target.id}/reports", json={"reason": "spam"}, headers=(await make_actor()).headers
    )
    warned = await client.patch(
        f"/admins/reports/{made.json()['id']}",
        json={"action": "warn", "days": 3},
        headers=admin_headers,
    )
    assert warned.status_code == 200, warned.text
    async with db.acquire() as conn:
        row = await conn.fetchrow(
            "SELECT is_blocked, suspended_until FROM users WHERE id = $1", target.id
        )
    assert not row["is_blocked"] and row["suspended_until"] is None

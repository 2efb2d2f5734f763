"""The audit log of admin actions: written with each action, read at GET /admins/audit, and
append-only in the database itself.

The log cannot be cleaned after a test (that is the point of it); each test reads only the
entries of the targets it made, whose ids are never reused within a run."""

from typing import Any

import asyncpg
import httpx
import pytest

from tests.helpers import Client, bearer, token, unique, unique_email

AUDIT = "/admins/audit"


async def entries(client: Client, headers: dict[str, str], **filters: Any) -> list[dict[str, Any]]:
    response = await client.get(AUDIT, params=filters, headers=headers)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def test_blocking_and_unblocking_are_recorded_with_the_values_they_changed(
    client: Client, admin_headers: dict[str, str], make_actor: Any
) -> None:
    user = await make_actor()
    for _ in range(2):
        toggled = await client.patch(f"/users/status/{user.id}", headers=admin_headers)
        assert toggled.status_code == 200, toggled.text
    logged = await entries(client, admin_headers, target_type="user", target_id=user.id)
    assert [(e["action"], e["before"], e["after"]) for e in logged] == [
        ("user_unblocked", {"is_blocked": True}, {"is_blocked": False}),
        ("user_blocked", {"is_blocked": False}, {"is_blocked": True}),
    ]  # newest first
    for entry in logged:
        assert entry["actor_id"] == 1  # admin_headers is admin 1's token
        assert entry["target_type"] == "user" and entry["target_id"] == user.id
        assert set(entry) == {
            *("id", "at", "actor_id", "action", "target_type", "target_id", "before", "after"),
            "source",
        }
        assert entry["source"] == "users"
    assert logged[0]["id"] > logged[1]["id"] and logged[0]["at"] >= logged[1]["at"]


async def test_an_action_that_fails_leaves_no_entry(
    client: Client, admin_headers: dict[str, str]
) -> None:
    assert (await client.patch("/users/status/99999999", headers=admin_headers)).status_code == 404
    assert await entries(client, admin_headers, target_id=99999999) == []


async def test_creating_an_admin_is_recorded_by_the_admin_who_did_it(
    client: Client, http: httpx.AsyncClient
) -> None:
    creator = bearer(await token(http, "admin", 424242))
    body = {"username": unique("adm"), "email": unique_email(), "password": "secret-pw"}
    created = await client.post("/admins", json=body, headers=creator)
    assert created.status_code == 200, created.text
    admin_id = created.json()["id"]
    logged = await entries(client, creator, actor_id=424242, action="admin_created")
    assert [(e["target_type"], e["target_id"], e["before"], e["after"]) for e in logged] == [
        ("admin", admin_id, None, {"username": body["username"], "email": body["email"]})
    ]


async def test_filters_and_pages(
    client: Client, admin_headers: dict[str, str], make_actor: Any
) -> None:
    user = await make_actor()
    for _ in range(5):
        assert (await client.patch(f"/users/status/{user.id}", headers=admin_headers)).is_success
    page = await client.get(
        AUDIT,
        params={"target_type": "user", "target_id": user.id, "offset": 2, "limit": 2},
        headers=admin_headers,
    )
    assert page.status_code == 200
    body = page.json()
    assert (body["total"], body["page"], body["size"], body["pages"]) == (5, 2, 2, 3)
    every = await entries(client, admin_headers, target_type="user", target_id=user.id)
    assert [e["id"] for e in body["items"]] == [e["id"] for e in every[2:4]]
    blocks = await entries(client, admin_headers, target_id=user.id, action="user_blocked")
    assert len(blocks) == 3 and {e["action"] for e in blocks} == {"user_blocked"}
    # Another admin's actions are not this one's.
    assert await entries(client, admin_headers, actor_id=777777, target_id=user.id) == []


async def test_only_admins_read_the_log(
    client: Client, admin_headers: dict[str, str], make_actor: Any
) -> None:
    """The matrix: anonymous 401, a user (the target of entries or not) 403, an admin 200."""
    user = await make_actor()
    for _ in range(2):  # blocked, then unblocked: entries about the user, who can call again
        assert (await client.patch(f"/users/status/{user.id}", headers=admin_headers)).is_success
    assert (await client.get(AUDIT)).status_code == 401
    assert (await client.get(AUDIT, headers={"Authorization": "Bearer nope"})).status_code == 401
    other = await make_actor()
    for headers in (user.headers, other.headers):
        assert (await client.get(AUDIT, headers=headers)).status_code == 403
        # The role is checked before the parameters: a user learns nothing from bad input.
        assert (await client.get(f"{AUDIT}?limit=0", headers=headers)).status_code == 403
    assert (await client.get(AUDIT, headers=admin_headers)).status_code == 200


@pytest.mark.parametrize(
    "query",
    [
        "action=user_deleted_forever",
        "target_type=goal",
        "actor_id=0",
        "target_id=-3",
        "target_id=abc",
        f"actor_id={2**63}",
        "offset=-1",
        "limit=0",
    ],
)
async def test_bad_filters_are_400(
    client: Client, admin_headers: dict[str, str], query: str
) -> None:
    response = await client.get(f"{AUDIT}?{query}", headers=admin_headers)
    assert response.status_code == 400, response.text


async def test_the_service_role_cannot_rewrite_or_erase_the_log(
    client: Client, admin_headers: dict[str, str], make_actor: Any, db: asyncpg.Pool
) -> None:
    """`db` connects as the service does (USERS_DATABASE_URL). The refusal holds for the
    table's owner and a superuser too (triggers that fire always), so it holds for any role
    the service is deployed with."""
    user = await make_actor()
    assert (await client.patch(f"/users/status/{user.id}", headers=admin_headers)).is_success
    statements = [
        "UPDATE admin_audit SET actor_id = 0 WHERE target_id = $1",
        "DELETE FROM admin_audit WHERE target_id = $1",
    ]
    async with db.acquire() as conn:
        for statement in statements:
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await conn.execute(statement, user.id)
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.execute("TRUNCATE admin_audit")
        # Not even with the replication role that turns ordinary triggers off.
        async with conn.transaction():
            await conn.execute("SET LOCAL session_replication_role = replica")
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await conn.execute(statements[1], user.id)
    logged = await entries(client, admin_headers, target_type="user", target_id=user.id)
    assert [(e["action"], e["actor_id"]) for e in logged] == [("user_blocked", 1)]

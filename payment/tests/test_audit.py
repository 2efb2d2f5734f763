"""The audit log of admin actions payment carries out: an admin's top-up writes one entry in the
transaction of its ledger row, GET /payment/audit reads them, and the database itself refuses
to rewrite or erase one.

The log cannot be cleaned after a test (that is the point of it); each test reads only the
entries of the admins and users it made up, whose ids are never reused within a run."""

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import asyncpg
import pytest

from tests.helpers import NO_TOKEN, Client, funded_owner, key, new_user_id, running, wallet

AUDIT = "/payment/audit"


async def entries(client: Client, **filters: Any) -> list[dict[str, Any]]:
    response = await client.get(AUDIT, params=filters)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def top_up(
    client: Client, user_id: int, actor_id: int, amount: str = "0.01", **headers: str
) -> Any:
    body = {"user_id": user_id, "amount": amount, "actor_id": actor_id}
    return await client.post("/payment/top-ups", json=body, headers=headers or key())


async def test_a_top_up_is_recorded_once_with_its_admin_and_entry(client: Client) -> None:
    user, admin = await wallet(client), new_user_id()
    once = key()
    created = await top_up(client, user["user_id"], admin, "0.1", **once)
    assert created.status_code == 201, created.text
    replayed = await top_up(client, user["user_id"], admin, "0.1", **once)
    assert replayed.status_code == 200 and replayed.json()["id"] == created.json()["id"]
    [entry] = await entries(client, actor_id=admin)
    assert set(entry) == {
        *("id", "at", "actor_id", "action", "target_type", "target_id", "before", "after")
    }
    assert (entry["actor_id"], entry["action"], entry["target_type"], entry["target_id"]) == (
        admin,
        "wallet_topped_up",
        "user",
        user["user_id"],
    )
    assert entry["before"] is None
    assert entry["after"] == {"amount": "0.1", "entry_id": created.json()["id"]}
    at = datetime.fromisoformat(entry["at"].replace("Z", "+00:00"))
    assert at.utcoffset() == timedelta(0)


async def test_a_replay_by_another_admin_writes_nothing(client: Client) -> None:
    """The key names the top-up: its entry keeps the admin who made it."""
    user, first, second = await wallet(client), new_user_id(), new_user_id()
    once = key()
    assert (await top_up(client, user["user_id"], first, **once)).status_code == 201
    assert (await top_up(client, user["user_id"], second, **once)).status_code == 200
    assert len(await entries(client, target_id=user["user_id"])) == 1
    assert await entries(client, actor_id=second) == []


@pytest.mark.parametrize(
    "actor", [None, 0, -1, "abc", True, 2**63, 1.5, "05"], ids=lambda value: repr(value)
)
async def test_a_top_up_without_a_valid_admin_is_400_and_moves_nothing(
    client: Client, actor: Any
) -> None:
    user = await wallet(client)
    body: dict[str, Any] = {"user_id": user["user_id"], "amount": "0.01"}
    if actor is not None:
        body["actor_id"] = actor
    response = await client.post("/payment/top-ups", json=body, headers=key())
    assert response.status_code == 400, response.text
    assert await entries(client, target_id=user["user_id"]) == []
    kinds = await client.get("/payment/transactions", params={"user_id": user["user_id"]})
    assert [e["kind"] for e in kinds.json()["items"]] == ["gas_grant"]


async def test_a_top_up_whose_entry_cannot_be_written_moves_nothing(
    client: Client, db: asyncpg.Connection
) -> None:
    """One transaction: when the audit entry fails, the ledger row is not written either."""
    user, admin = await wallet(client), new_user_id()
    await db.execute(
        f"ALTER TABLE admin_audit ADD CONSTRAINT refuse_one CHECK (actor_id <> {admin}) NOT VALID"
    )
    try:
        response = await top_up(client, user["user_id"], admin)
    finally:
        await db.execute("ALTER TABLE admin_audit DROP CONSTRAINT refuse_one")
    assert response.status_code == 500
    kinds = await client.get("/payment/transactions", params={"user_id": user["user_id"]})
    assert [e["kind"] for e in kinds.json()["items"]] == ["gas_grant"]
    assert await entries(client, actor_id=admin) == []


async def test_a_top_up_the_pool_cannot_pay_keeps_its_entry(client: Client) -> None:
    """The admin acted: the row was written (and failed on the chain), and so was its entry."""
    owner, admin = funded_owner(), new_user_id()
    async with running(owner_private_key=owner.key.hex(), initial_pool=Decimal("0.5")) as small:
        user = await wallet(small)
        response = await top_up(small, user["user_id"], admin, "0.6")
        assert response.status_code == 400 and response.json()["entry"]["status"] == "failed"
        [entry] = await entries(small, actor_id=admin)
    assert entry["after"] == {"amount": "0.6", "entry_id": response.json()["entry"]["id"]}


async def test_filters_and_pages(client: Client) -> None:
    alice, bob = await wallet(client), await wallet(client)
    admin, other = new_user_id(), new_user_id()
    made = []
    for user_id, actor in [(alice, admin), (bob, admin), (alice, admin), (alice, other)]:
        response = await top_up(client, user_id["user_id"], actor, "0.001")
        assert response.status_code == 201, response.text
        made.append(response.json()["id"])
    every = await client.get(AUDIT, params={"actor_id": admin})
    assert every.json()["total"] == 3
    ids = [e["after"]["entry_id"] for e in every.json()["items"]]
    assert ids == made[2::-1]  # newest first
    page = await client.get(AUDIT, params={"actor_id": admin, "offset": 1, "limit": 1})
    assert page.status_code == 200
    assert page.json()["total"] == 3
    assert [e["id"] for e in page.json()["items"]] == [every.json()["items"][1]["id"]]
    assert set(page.json()) == {"items", "total"}
    alices = await entries(client, target_type="user", target_id=alice["user_id"])
    assert [e["after"]["entry_id"] for e in alices] == [made[3], made[2], made[0]]
    assert [e["after"]["entry_id"] for e in await entries(client, target_id=bob["user_id"])] == [
        made[1]
    ]
    both = await entries(client, actor_id=admin, target_id=alice["user_id"])
    assert [e["after"]["entry_id"] for e in both] == [made[2], made[0]]
    by_action = await entries(client, action="wallet_topped_up", actor_id=other)
    assert [e["after"]["entry_id"] for e in by_action] == [made[3]]
    beyond = await client.get(AUDIT, params={"actor_id": admin, "offset": 3})
    assert beyond.json() == {"items": [], "total": 3}
    # Without a filter: the whole log, newest first, 50 by default.
    unfiltered = (await client.get(AUDIT)).json()
    assert unfiltered["total"] >= 4 and len(unfiltered["items"]) <= 50
    assert unfiltered["items"][0]["after"]["entry_id"] == made[3]
    listed = [e["id"] for e in unfiltered["items"]]
    assert listed == sorted(listed, reverse=True)


@pytest.mark.parametrize(
    "query",
    [
        "action=wallet_deleted",
        "target_type=admin",
        "actor_id=0",
        "target_id=-3",
        "target_id=abc",
        f"actor_id={2**63}",
        "offset=-1",
        "offset=10001",
        "limit=0",
        "limit=101",
        "limit=x",
    ],
)
async def test_bad_filters_are_400(client: Client, query: str) -> None:
    response = await client.get(f"{AUDIT}?{query}")
    assert response.status_code == 400, response.text
    assert "detail" in response.json()


async def test_the_bounds_are_accepted(client: Client) -> None:
    for query in ("offset=10000", "limit=100", "limit=1", f"actor_id={2**63 - 1}"):
        assert (await client.get(f"{AUDIT}?{query}")).status_code == 200, query


async def test_only_the_service_caller_reads_the_log(client: Client) -> None:
    for headers in (NO_TOKEN, {"X-Service-Token": "not-the-service-token"}):
        assert (await client.get(AUDIT, headers=headers)).status_code == 401
        # The credential is checked before the parameters: nothing is learnt from bad input.
        assert (await client.get(f"{AUDIT}?limit=0", headers=headers)).status_code == 401


async def test_the_service_role_cannot_rewrite_or_erase_the_log(
    client: Client, db: asyncpg.Connection
) -> None:
    """`db` connects as the service does (its database URL). The refusal holds for the
    table's owner and a superuser too (triggers that fire always), so it holds for any role
    the service is deployed with."""
    user, admin = await wallet(client), new_user_id()
    assert (await top_up(client, user["user_id"], admin)).status_code == 201
    statements = [
        "UPDATE admin_audit SET actor_id = 0 WHERE actor_id = $1",
        "DELETE FROM admin_audit WHERE actor_id = $1",
    ]
    for statement in statements:
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await db.execute(statement, admin)
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await db.execute("TRUNCATE admin_audit")
    # Not even with the replication role that turns ordinary triggers off.
    async with db.transaction():
        await db.execute("SET LOCAL session_replication_role = replica")
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await db.execute(statements[1], admin)
    logged = await entries(client, actor_id=admin)
    assert [(e["action"], e["target_id"]) for e in logged] == [
        ("wallet_topped_up", user["user_id"])
    ]

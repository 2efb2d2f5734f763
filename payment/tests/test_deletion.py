"""Deleting a user's wallet (DELETE /payment/wallets/{user_id}, called by the users service
before it commits an account's deletion): refused while the wallet holds the user's money or has
movements in flight; otherwise the wallet and every ledger row are unlinked from the user id,
the rows kept as the financial record they are, the wallet's sealed key kept for a sweep."""

import asyncio
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import asyncpg
import httpx
import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount

from payment.crypto import KeyBox
from payment.db import ACCOUNT_LOCK
from payment.wallets import repository
from payment.wallets.service import HOLDS_MONEY, IN_FLIGHT
from tests.helpers import (
    ADMIN,
    ANVIL_URL,
    DATABASE_URL,
    ENCRYPTION_KEY,
    NO_TOKEN,
    Client,
    client_of,
    eventually,
    funded_owner,
    key,
    lock_account,
    new_user_id,
    running,
    service,
    services_of,
    top_up,
    unlock_account,
    wallet,
)

DUST = Decimal("0.001")  # PAYMENT_DELETION_DUST_ETH's default (the suite's settings keep it)
# An unlink waiting on a movement's share lock, or a movement's insert on the unlink's.
OWNER_WAITS = (
    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = $1 AND NOT granted"
)
LOCK_WAITS = (
    "SELECT count(*) FROM pg_stat_activity"
    " WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE $1"
)


async def delete(client: httpx.AsyncClient, user_id: int) -> Any:
    return await client.delete(f"/payment/wallets/{user_id}")


async def ledger_of(db: asyncpg.Connection, address: str) -> list[asyncpg.Record]:
    return await db.fetch(
        "SELECT * FROM ledger WHERE sender_address = $1 OR receiver_address = $1 ORDER BY id",
        address,
    )


async def withdraw(client: Client, user_id: int, amount: str) -> None:
    body = {"user_id": user_id, "address": Account.create().address, "amount": amount}
    response = await client.post("/payment/withdrawals", json=body, headers=key())
    assert response.status_code == 201 and response.json()["status"] == "confirmed", response.text


async def test_a_wallet_with_only_its_gas_grant_is_unlinked(
    client: Client, db: asyncpg.Connection
) -> None:
    user = await wallet(client)
    user_id, address = user["user_id"], user["address"]
    [grant] = await ledger_of(db, address)
    response = await delete(client, user_id)
    assert response.status_code == 204 and response.content == b"", response.text
    # Nothing answers for the user any more.
    assert (await client.get(f"/payment/wallets/{user_id}")).status_code == 404
    assert (await client.get(f"/payment/wallets/{user_id}/balance")).status_code == 404
    mine = (await client.get("/payment/transactions", params={"user_id": user_id})).json()
    assert (mine["items"], mine["total"]) == ([], 0)
    # The wallet is kept, without the user: its key still opens (the platform can sweep it).
    row = await db.fetchrow("SELECT * FROM wallets WHERE address = $1", address)
    assert row["user_id"] is None and row["unlinked_at"] is not None
    sealed = KeyBox(ENCRYPTION_KEY).open(bytes(row["sealed_key"]))
    assert Account.from_key(sealed).address == address
    # The grant is still on the ledger, as it was, but for the user's id.
    [kept] = await ledger_of(db, address)
    assert kept["receiver_id"] is None and kept["sender_id"] is None
    for column in ("id", "kind", "amount_wei", "status", "payout_tx_hash", "sender_address"):
        assert kept[column] == grant[column], column
    assert kept["receiver_address"] == address and kept["created_at"] == grant["created_at"]
    # The key named the user ("wallet:<id>"); the digest hashed the user's id.
    assert str(user_id) not in kept["idempotency_key"] and kept["request_hash"] == "unlinked"
    entry = (await client.get(f"/payment/transactions/{kept['id']}")).json()
    assert entry["receiver_id"] is None and entry["receiver_address"] == address


async def test_deleting_is_idempotent(client: Client) -> None:
    user = await wallet(client)
    for _ in range(2):
        assert (await delete(client, user["user_id"])).status_code == 204
    assert (await delete(client, new_user_id())).status_code == 204  # never had a wallet


async def test_money_above_dust_is_refused_until_it_is_withdrawn(
    client: Client, db: asyncpg.Connection
) -> None:
    user = await wallet(client)
    await top_up(client, user["user_id"], "0.01")
    refused = await delete(client, user["user_id"])
    assert refused.status_code == 409
    assert refused.json() == {"detail": HOLDS_MONEY}
    assert (await client.get(f"/payment/wallets/{user['user_id']}")).status_code == 200
    mine = (await client.get("/payment/transactions", params={"user_id": user["user_id"]})).json()
    assert mine["total"] == 2  # grant and top-up, still the user's
    # The gas grant stays in the wallet (it pays the withdrawal's gas): it is not the user's.
    await withdraw(client, user["user_id"], "0.01")
    assert (await delete(client, user["user_id"])).status_code == 204
    rows = await ledger_of(db, user["address"])
    assert [r["kind"] for r in rows] == ["gas_grant", "top_up", "withdrawal"]
    assert all(r["sender_id"] is None and r["receiver_id"] is None for r in rows)
    assert all(r["status"] == "confirmed" for r in rows)


@pytest.mark.parametrize(("extra", "status"), [(DUST, 204), (DUST + Decimal("1e-18"), 409)])
async def test_dust_is_the_most_a_deleted_wallet_may_keep(
    client: Client, extra: Decimal, status: int
) -> None:
    """The user's money is the balance less the gas grant: at most the dust is left behind."""
    user = await wallet(client)
    await top_up(client, user["user_id"], format(extra, "f"))
    assert (await delete(client, user["user_id"])).status_code == status


@pytest.fixture
async def process() -> AsyncIterator[tuple[httpx.AsyncClient, LocalAccount]]:
    """The service as its own process (requests from here then run truly concurrently), with
    an owner of its own and its tracker off: only the requests move rows."""
    owner = funded_owner()
    with service(ANVIL_URL, owner, PAYMENT_TRACKER_INTERVAL="3600") as (base, _):
        async with client_of(base) as http:
            yield http, owner


async def test_movements_in_flight_are_refused(
    process: tuple[httpx.AsyncClient, LocalAccount], locks: asyncpg.Connection
) -> None:
    http, owner = process
    user = await wallet(http)
    await lock_account(locks, owner.address)  # every payout waits for the owner's lock
    try:
        body = {"user_id": user["user_id"], "amount": "0.0001", "actor_id": ADMIN}
        topping = asyncio.create_task(http.post("/payment/top-ups", json=body, headers=key()))

        async def payout_waits() -> bool:
            return int(await locks.fetchval(OWNER_WAITS, ACCOUNT_LOCK)) >= 1

        await eventually(payout_waits, "the top-up's payout waiting for the owner")
        refused = await delete(http, user["user_id"])
        assert refused.status_code == 409 and refused.json() == {"detail": IN_FLIGHT}
    finally:
        await unlock_account(locks, owner.address)
    assert (await topping).status_code == 201
    # Settled (and below dust): the deletion goes through.
    assert (await delete(http, user["user_id"])).status_code == 204


async def test_other_parties_keep_their_side_of_the_record(
    client: Client, db: asyncpg.Connection
) -> None:
    trainer, athlete = await wallet(client), await wallet(client)
    await top_up(client, athlete["user_id"], "0.5")
    paid = {"sender_id": athlete["user_id"], "receiver_id": trainer["user_id"], "amount": "0.2"}
    idem = key()
    sent = await client.post("/payment/transfers", json=paid, headers=idem)
    assert sent.status_code == 201, sent.text
    await withdraw(client, trainer["user_id"], "0.2")
    assert (await delete(client, trainer["user_id"])).status_code == 204
    # The athlete still sees the payment, to an address and no user.
    theirs = await client.get("/payment/transactions", params={"user_id": athlete["user_id"]})
    entry = next(e for e in theirs.json()["items"] if e["kind"] == "transfer")
    assert entry["id"] == sent.json()["id"] and entry["sender_id"] == athlete["user_id"]
    assert entry["receiver_id"] is None and entry["receiver_address"] == trainer["address"]
    assert entry["amount"] == "0.2" and entry["tx_hash"] == sent.json()["tx_hash"]
    # The athlete's key is theirs: kept. A retry of it names a user without a wallet now.
    row = await db.fetchrow("SELECT * FROM ledger WHERE id = $1", entry["id"])
    assert row["idempotency_key"] == idem["Idempotency-Key"]
    retry = await client.post("/payment/transfers", json=paid, headers=idem)
    assert retry.status_code == 404
    # No ledger row names the trainer's id any more.
    named = "SELECT count(*) FROM ledger WHERE sender_id = $1 OR receiver_id = $1"
    assert await db.fetchval(named, trainer["user_id"]) == 0


async def test_the_sender_side_is_unlinked_and_its_keys_can_never_be_replayed(
    client: Client, db: asyncpg.Connection
) -> None:
    athlete, trainer = await wallet(client), await wallet(client)
    await top_up(client, athlete["user_id"], "0.3")
    paid = {"sender_id": athlete["user_id"], "receiver_id": trainer["user_id"], "amount": "0.3"}
    idem = key()
    sent = await client.post("/payment/transfers", json=paid, headers=idem)
    assert sent.status_code == 201, sent.text
    assert (await delete(client, athlete["user_id"])).status_code == 204
    row = await db.fetchrow("SELECT * FROM ledger WHERE id = $1", sent.json()["id"])
    assert row["sender_id"] is None and row["receiver_id"] == trainer["user_id"]
    # The key's owner is now the trainer: the athlete's key must not be the trainer's.
    assert row["idempotency_key"] != idem["Idempotency-Key"] and "\n" in row["idempotency_key"]
    assert row["key_owner"] == trainer["user_id"]


async def test_users_who_used_the_same_key_can_all_be_deleted(
    client: Client, db: asyncpg.Connection
) -> None:
    """Keys are scoped per user, so two users may each own "same-key"; unlinked, both rows
    belong to nobody, and their keys must still differ."""
    users = [await wallet(client), await wallet(client)]
    for user in users:
        body = {"user_id": user["user_id"], "amount": "0.001", "actor_id": ADMIN}
        topped = await client.post(
            "/payment/top-ups", json=body, headers={"Idempotency-Key": "same-key"}
        )
        assert topped.status_code == 201, topped.text
    for user in users:
        assert (await delete(client, user["user_id"])).status_code == 204
    owners = await db.fetch("SELECT key_owner FROM ledger WHERE kind = 'top_up'")
    assert [r["key_owner"] for r in owners] == [0, 0]


async def test_a_new_wallet_after_the_deletion_is_a_new_one(client: Client) -> None:
    user = await wallet(client)
    assert (await delete(client, user["user_id"])).status_code == 204
    again = await client.post("/payment/wallets", json={"user_id": user["user_id"]})
    assert again.status_code == 201, again.text
    assert again.json()["address"] != user["address"]
    assert (await client.get(f"/payment/wallets/{user['user_id']}")).json() == again.json()
    # With its own grant (the old one's key was unlinked with the rest).
    mine = (await client.get("/payment/transactions", params={"user_id": user["user_id"]})).json()
    assert [e["receiver_address"] for e in mine["items"]] == [again.json()["address"]]


async def test_movements_naming_a_deleted_user_find_no_wallet(client: Client) -> None:
    gone, other = await wallet(client), await wallet(client)
    await top_up(client, other["user_id"], "0.1")
    assert (await delete(client, gone["user_id"])).status_code == 204
    attempts = [
        ("/payment/top-ups", {"user_id": gone["user_id"], "amount": "0.1", "actor_id": ADMIN}),
        (
            "/payment/transfers",
            {"sender_id": other["user_id"], "receiver_id": gone["user_id"], "amount": "0.01"},
        ),
        (
            "/payment/withdrawals",
            {"user_id": gone["user_id"], "address": Account.create().address, "amount": "0.001"},
        ),
    ]
    for path, body in attempts:
        response = await client.post(path, json=body, headers=key())
        assert response.status_code == 404, (path, response.text)


async def test_a_top_up_racing_the_unlink_is_refused_not_unlinked_unseen(
    process: tuple[httpx.AsyncClient, LocalAccount], db: asyncpg.Connection
) -> None:
    """The top-up read the wallet before the unlink committed; its insert then waits for the
    unlink's lock, finds the wallet unlinked, and writes nothing: a 404, no money sent."""
    http, _ = process
    user = await wallet(http)
    state = await repository.deletion_state(db, user["user_id"])
    assert state is not None
    unlinking = await asyncpg.connect(DATABASE_URL)
    try:
        transaction = unlinking.transaction()
        await transaction.start()
        assert await repository.unlink(unlinking, user["user_id"], state.address, state.last_entry)
        body = {"user_id": user["user_id"], "amount": "0.1", "actor_id": ADMIN}
        topping = asyncio.create_task(http.post("/payment/top-ups", json=body, headers=key()))

        async def insert_waits() -> bool:
            return int(await db.fetchval(LOCK_WAITS, "%FOR KEY SHARE%")) >= 1

        await eventually(insert_waits, "the top-up's insert waiting for the unlink")
        await transaction.commit()
    finally:
        await unlinking.close()
    response = await topping
    assert response.status_code == 404, response.text
    assert [r["kind"] for r in await ledger_of(db, user["address"])] == ["gas_grant"]
    audit = await db.fetchval(
        "SELECT count(*) FROM admin_audit WHERE target_id = $1", user["user_id"]
    )
    assert audit == 0  # the audit entry went with the row that was never written


async def test_a_movement_that_lands_before_the_unlink_stops_it(
    client: Client, db: asyncpg.Connection
) -> None:
    """The balance was read, then a top-up landed before the unlink took the wallet's lock: the
    unlink sees the newer row and refuses (409), so no money is unlinked unseen."""
    user = await wallet(client)
    state = await repository.deletion_state(db, user["user_id"])
    assert state is not None
    await top_up(client, user["user_id"], "0.1")
    async with db.transaction():
        done = await repository.unlink(db, user["user_id"], state.address, state.last_entry)
    assert done is False
    assert (await client.get(f"/payment/wallets/{user['user_id']}")).status_code == 200


async def test_the_audit_entry_of_a_top_up_outlives_the_wallet(client: Client) -> None:
    user = await wallet(client)
    entry = await top_up(client, user["user_id"], "0.001")
    assert (await delete(client, user["user_id"])).status_code == 204
    logged = await client.get("/payment/audit", params={"target_id": user["user_id"]})
    [audit] = logged.json()["items"]
    assert audit["after"] == {"amount": "0.001", "entry_id": entry["id"]}


async def test_an_unreachable_chain_is_503_and_unlinks_nothing(client: Client) -> None:
    user = await wallet(client)  # its grant confirmed: only the balance is left to read
    contract = services_of(client.app).chain.contract_address
    async with running(rpc_url="http://127.0.0.1:9", contract_address=contract) as down:
        response = await delete(down, user["user_id"])
    assert response.status_code == 503, response.text
    assert (await client.get(f"/payment/wallets/{user['user_id']}")).status_code == 200


async def test_deleting_requires_the_service_credential(client: Client) -> None:
    user = await wallet(client)
    for headers in (NO_TOKEN, {"X-Service-Token": "not-the-service-token"}):
        response = await client.delete(f"/payment/wallets/{user['user_id']}", headers=headers)
        assert response.status_code == 401, response.text
    assert (await client.get(f"/payment/wallets/{user['user_id']}")).status_code == 200


@pytest.mark.parametrize("user_id", ["0", "-5", str(2**63), "abc", "1.5"])
async def test_ids_no_user_can_have_are_404(client: Client, user_id: str) -> None:
    assert (await client.delete(f"/payment/wallets/{user_id}")).status_code == 404

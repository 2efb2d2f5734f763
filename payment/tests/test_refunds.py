"""Money in the pool belongs to someone until it is paid out. A payout that fails after its
deposit was mined is refunded (a ``refund`` row linked to the failed one pays the sender back),
and an admin top-up cannot spend deposits that still await their payout.

The service runs as its own process (requests from here then run truly concurrently), its
tracker off. The test holds the owner's account lock, which every payout takes, so that a
withdrawal stops at a known state: deposit mined, payout waiting for the owner."""

import asyncio
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from decimal import Decimal

import asyncpg
import httpx
from eth_account import Account
from eth_account.signers.local import LocalAccount

from payment.chain.client import PAYOUT_GAS
from payment.db import ACCOUNT_LOCK
from tests.helpers import (
    ADMIN,
    ANVIL_URL,
    BURNER_RUNTIME,
    balance,
    client_of,
    contract_of,
    eventually,
    funded_owner,
    key,
    lock_account,
    rpc,
    service,
    top_up,
    unlock_account,
    wallet,
)

WAITERS = (
    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = $1 AND NOT granted"
)


@asynccontextmanager
async def quiet_service(
    initial_pool: str,
) -> AsyncIterator[tuple[httpx.AsyncClient, LocalAccount]]:
    """The service process with an owner of its own (hence a contract whose pool starts with
    ``initial_pool`` ETH) and its tracker off: only the requests move rows."""
    owner = funded_owner()
    quiet = {"PAYMENT_INITIAL_POOL": initial_pool, "PAYMENT_TRACKER_INTERVAL": "3600"}
    with service(ANVIL_URL, owner, **quiet) as (base, _):
        async with client_of(base) as http:
            yield http, owner


@asynccontextmanager
async def owner_locked(locks: asyncpg.Connection, owner: str) -> AsyncIterator[None]:
    """Holds the owner's account lock, which every payout takes, for the block."""
    await lock_account(locks, owner)
    try:
        yield
    finally:
        await unlock_account(locks, owner)


def waiting_for_the_owner(db: asyncpg.Connection, count: int) -> Callable[[], Awaitable[bool]]:
    async def holds() -> bool:
        return int(await db.fetchval(WAITERS, ACCOUNT_LOCK)) >= count

    return holds


async def withdrawal_at_payout(
    http: httpx.AsyncClient, db: asyncpg.Connection, user_id: int, receiver: str, amount: str
) -> tuple["asyncio.Task[httpx.Response]", str]:
    """Start a withdrawal (the owner's lock is held): returns once its deposit is mined and
    its payout waits for the owner."""
    idem = f"refund-{os.urandom(6).hex()}"
    body = {"user_id": user_id, "address": receiver, "amount": amount}
    task = asyncio.create_task(
        http.post("/payment/withdrawals", json=body, headers={"Idempotency-Key": idem})
    )
    one_waiting = waiting_for_the_owner(db, 1)

    async def at_payout() -> bool:
        step = await db.fetchval("SELECT step FROM ledger WHERE idempotency_key = $1", idem)
        return step == "payout" and await one_waiting()

    await eventually(at_payout, "the withdrawal's payout waits for the owner")
    return task, idem


async def test_a_top_up_cannot_spend_a_deposit_awaiting_its_payout(
    db: asyncpg.Connection, locks: asyncpg.Connection
) -> None:
    async with quiet_service("0.5") as (http, owner):
        alice, bob = await wallet(http), await wallet(http)
        await top_up(http, alice["user_id"], "0.5")  # the pool is empty now
        async with owner_locked(locks, owner.address):
            pending, _ = await withdrawal_at_payout(
                http, db, alice["user_id"], Account.create().address, "0.3"
            )
            # The pool holds exactly Alice's 0.3, and it is hers.
            contract = await contract_of(db, owner.address, int(rpc("eth_chainId"), 16))
            assert int(rpc("eth_getBalance", contract, "latest"), 16) == 3 * 10**17
            body = {"user_id": bob["user_id"], "amount": "0.3", "actor_id": ADMIN}
            top = asyncio.create_task(http.post("/payment/top-ups", json=body, headers=key()))
            two_waiting = waiting_for_the_owner(db, 2)

            async def settled() -> bool:
                return top.done() or await two_waiting()

            await eventually(settled, "the top-up answered or waits to be signed")
            assert top.done(), "the top-up was going to pay Bob with Alice's deposit"
            refused = top.result()
            assert refused.status_code == 400, refused.text
            assert refused.json()["detail"].startswith("Insufficient funds: the contract pool")
        paid = await pending
        assert paid.status_code == 201 and paid.json()["status"] == "confirmed", paid.text


async def test_a_payout_that_fails_after_the_deposit_is_refunded(
    db: asyncpg.Connection, locks: asyncpg.Connection
) -> None:
    async with quiet_service("1") as (http, owner):
        alice = await wallet(http)
        await top_up(http, alice["user_id"], "0.5")
        receiver = Account.create().address  # a plain account when the request is checked
        async with owner_locked(locks, owner.address):
            pending, idem = await withdrawal_at_payout(http, db, alice["user_id"], receiver, "0.3")
            after_deposit = await balance(http, alice["user_id"])
            # ... and by the payout it has code that burns whatever gas it is given
            # (CREATE2 can put code at an address that had none).
            rpc("anvil_setCode", receiver, "0x" + BURNER_RUNTIME)
        failed = (await pending).json()
        assert failed["status"] == "failed", failed
        assert "payout transaction" in failed["failure_reason"]
        payout = rpc("eth_getTransactionReceipt", failed["tx_hash"])
        assert int(payout["gasUsed"], 16) <= PAYOUT_GAS  # the burner got no more than that

        page = await http.get("/payment/transactions", params={"kind": "refund"})
        [refund] = page.json()["items"]
        assert refund["refund_of"] == failed["id"] and refund["status"] == "confirmed"
        assert refund["receiver_id"] == alice["user_id"] and refund["amount"] == "0.3"
        assert refund["receiver_address"] == alice["address"] and refund["sender_id"] is None
        assert await balance(http, alice["user_id"]) == after_deposit + Decimal("0.3")
        assert int(rpc("eth_getBalance", receiver, "latest"), 16) == 0
        # A replay answers with the failed row and never refunds twice.
        body = {"user_id": alice["user_id"], "address": receiver, "amount": "0.3"}
        replay = await http.post(
            "/payment/withdrawals", json=body, headers={"Idempotency-Key": idem}
        )
        assert replay.status_code == 200 and replay.json()["id"] == failed["id"]
        again = await http.get("/payment/transactions", params={"kind": "refund"})
        assert again.json()["total"] == 1

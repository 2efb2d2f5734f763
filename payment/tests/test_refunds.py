"""Money in the pool belongs to someone until it is paid out. A payout that fails after its
deposit was mined is refunded (a ``refund`` row linked to the failed one pays the sender back),
and an admin top-up cannot spend deposits that still await their payout.

The service runs as its own process (requests from here then run truly concurrently), its
tracker off. The test holds the owner's account lock, which every payout takes, so that a
withdrawal stops at a known state: deposit mined, payout waiting for the owner."""

import asyncio
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from decimal import Decimal
from typing import Any

import asyncpg
import httpx
import pytest
from eth_account import Account

from payment.chain.client import PAYOUT_GAS
from payment.db import ACCOUNT_LOCK
from tests.conftest import ANVIL_URL, DATABASE_URL, rpc
from tests.helpers import balance, key, top_up, wallet
from tests.test_kill import LOCK, UNLOCK, client_of, service, until
from tests.test_withdrawal_limits import BURNER_RUNTIME

WAITERS = (
    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = $1 AND NOT granted"
)
QUIET = {"PAYMENT_TRACKER_INTERVAL": "3600"}  # only the requests move rows


@pytest.fixture
async def locks() -> AsyncIterator[asyncpg.Connection]:
    """A database session of the test's own, to hold the owner's lock (released with it)."""
    conn = await asyncpg.connect(DATABASE_URL)
    yield conn
    await conn.close()


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

    await until("the withdrawal's payout waits for the owner", at_payout)
    return task, idem


def funded_owner() -> Any:
    owner = Account.create()
    rpc("anvil_setBalance", owner.address, hex(10**4 * 10**18))
    return owner


async def contract_of(db: asyncpg.Connection, owner: str) -> str:
    chain_id = int(rpc("eth_chainId"), 16)
    return str(
        await db.fetchval(
            "SELECT address FROM deployments WHERE chain_id = $1 AND owner = $2", chain_id, owner
        )
    )


async def test_a_top_up_cannot_spend_a_deposit_awaiting_its_payout(
    db: asyncpg.Connection, locks: asyncpg.Connection
) -> None:
    owner = funded_owner()
    with service(ANVIL_URL, owner, PAYMENT_INITIAL_POOL="0.5", **QUIET) as (base, _):
        async with client_of(base) as http:
            alice, bob = await wallet(http), await wallet(http)
            await top_up(http, alice["user_id"], "0.5")  # the pool is empty now
            await locks.execute(LOCK, ACCOUNT_LOCK, owner.address)
            try:
                pending, _ = await withdrawal_at_payout(
                    http, db, alice["user_id"], Account.create().address, "0.3"
                )
                # The pool holds exactly Alice's 0.3, and it is hers.
                contract = await contract_of(db, owner.address)
                assert int(rpc("eth_getBalance", contract, "latest"), 16) == 3 * 10**17
                body = {"user_id": bob["user_id"], "amount": "0.3"}
                top = asyncio.create_task(http.post("/payment/top-ups", json=body, headers=key()))
                two_waiting = waiting_for_the_owner(db, 2)

                async def settled() -> bool:
                    return top.done() or await two_waiting()

                await until("the top-up answered or waits to be signed", settled)
                assert top.done(), "the top-up was going to pay Bob with Alice's deposit"
                refused = top.result()
                assert refused.status_code == 400, refused.text
                assert refused.json()["detail"].startswith("Insufficient funds: the contract pool")
            finally:
                await locks.execute(UNLOCK, ACCOUNT_LOCK, owner.address)
            paid = await pending
            assert paid.status_code == 201 and paid.json()["status"] == "confirmed", paid.text


async def test_a_payout_that_fails_after_the_deposit_is_refunded(
    db: asyncpg.Connection, locks: asyncpg.Connection
) -> None:
    owner = funded_owner()
    with service(ANVIL_URL, owner, PAYMENT_INITIAL_POOL="1", **QUIET) as (base, _):
        async with client_of(base) as http:
            alice = await wallet(http)
            await top_up(http, alice["user_id"], "0.5")
            receiver = Account.create().address  # a plain account when the request is checked
            await locks.execute(LOCK, ACCOUNT_LOCK, owner.address)
            try:
                pending, idem = await withdrawal_at_payout(
                    http, db, alice["user_id"], receiver, "0.3"
                )
                after_deposit = await balance(http, alice["user_id"])
                # ... and by the payout it has code that burns whatever gas it is given
                # (CREATE2 can put code at an address that had none).
                rpc("anvil_setCode", receiver, "0x" + BURNER_RUNTIME)
            finally:
                await locks.execute(UNLOCK, ACCOUNT_LOCK, owner.address)
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

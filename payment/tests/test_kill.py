"""A real crash: the service process is SIGKILLed in the middle of a burst of transfers, started
again, and every request retried with its key. Each key executes exactly once.

"In the middle" is a state, not a moment. The burst runs on a private anvil whose mining the
test switches off, and the test holds two senders' account locks, so that at the kill each
sender's rows are at a known point of their life:

- sender A: deposit mined, the owner's payout broadcast and waiting in the mempool;
- sender B: deposit broadcast and waiting in the mempool;
- sender C: nothing signed yet (its requests wait for the account lock).

The private anvil has its own chain id, so no other app of the session (they work on the shared
anvil, 8545) ever adopts these rows, and the shared anvil's mining is left alone.
"""

import asyncio
import os
import signal
from collections.abc import Awaitable
from decimal import Decimal
from typing import Any

import asyncpg
import httpx

from tests.helpers import (
    balance,
    client_of,
    contract_of,
    eventually,
    funded_owner,
    in_mempool,
    lock_account,
    private_anvil,
    rpc,
    sent_payments,
    service,
    top_up,
    unlock_account,
    wallet,
)

CHAIN_ID = 31338  # not the shared anvil's 31337


async def has(rows: Awaitable[list[Any]], count: int) -> bool:
    return len(await rows) == count


async def send(
    http: httpx.AsyncClient, key: str, s: dict[str, Any], r: dict[str, Any], amount: str
) -> tuple[int, Any]:
    body = {"sender_id": s["user_id"], "receiver_id": r["user_id"], "amount": amount}
    response = await http.post("/payment/transfers", json=body, headers={"Idempotency-Key": key})
    return response.status_code, response.json()


async def test_sigkill_mid_burst_then_retries_execute_each_key_once(
    db: asyncpg.Connection, locks: asyncpg.Connection
) -> None:
    with private_anvil(chain_id=CHAIN_ID) as node:
        owner = funded_owner(node)
        with service(node, owner) as (base, doomed):
            async with client_of(base) as http:
                senders = [await wallet(http) for _ in range(3)]
                receivers = [await wallet(http) for _ in range(2)]
                for sender in senders:
                    await top_up(http, sender["user_id"], "1")
                a, b, c = (sender["address"] for sender in senders)
                amounts = ["0.01", "0.02", "0.03", "0.04", "0.05"]
                plan = [  # four transfers from each sender, to two receivers
                    (
                        f"kill-{i}-{os.urandom(4).hex()}",
                        senders[i % 3],
                        receivers[i % 2],
                        amounts[i % 5],
                    )
                    for i in range(12)
                ]
                sender_of = {key: s["address"] for key, s, _, _ in plan}

                async def rows(sender: str) -> list[asyncpg.Record]:
                    found = await db.fetch(
                        "SELECT idempotency_key, status, step, deposit_tx_hash, payout_tx_hash "
                        "FROM ledger WHERE idempotency_key = ANY($1::text[])",
                        list(sender_of),
                    )
                    return [row for row in found if sender_of[row["idempotency_key"]] == sender]

                async def at(sender: str, step: str, column: str) -> bool:
                    """All four rows of the sender are at ``step``, the transaction in their
                    ``column`` broadcast (the node knows it) and not mined."""
                    mine = await rows(sender)
                    return len(mine) == 4 and all(
                        row["step"] == step and in_mempool(node, row[column]) for row in mine
                    )

                for held in (b, c):
                    await lock_account(locks, held)
                rpc("evm_setAutomine", False, url=node)  # from here on, a block comes when we say
                burst = [asyncio.create_task(send(http, *step)) for step in plan]
                await eventually(lambda: at(a, "deposit_sent", "deposit_tx_hash"), "A deposited")
                rpc("evm_mine", url=node)  # only A's deposits are waiting
                await eventually(lambda: at(a, "payout_sent", "payout_tx_hash"), "A paid out")
                await unlock_account(locks, b)
                await eventually(lambda: at(b, "deposit_sent", "deposit_tx_hash"), "B deposited")
                await eventually(lambda: has(rows(c), 4), "C's rows recorded")
                assert await at(a, "payout_sent", "payout_tx_hash")  # nothing was mined since
                unsigned = [(r["status"], r["step"], r["deposit_tx_hash"]) for r in await rows(c)]
                assert unsigned == [("pending", "deposit", None)] * 4
                doomed.send_signal(signal.SIGKILL)
                outcomes = await asyncio.gather(*burst, return_exceptions=True)
        # No row was confirmed, so no request had its answer: the kill cut every one off.
        assert all(isinstance(o, httpx.TransportError) for o in outcomes), outcomes

        await unlock_account(locks, c)
        rpc("evm_setAutomine", True, url=node)  # this mines what the dead process left waiting
        with service(node, owner) as (base, _):
            async with client_of(base) as http:
                retried = await asyncio.gather(*(send(http, *step) for step in plan))
                # Every key got its row before the kill: each retry replays it, to confirmation.
                assert [code for code, _ in retried] == [200] * len(plan), retried
                assert {entry["status"] for _, entry in retried} == {"confirmed"}
                page = await http.get("/payment/transactions", params={"kind": "transfer"})
                assert page.json()["total"] == len(plan)  # one row per key
                for receiver in receivers:
                    # Each payout landed once: the gas grant plus what was sent to it, no more.
                    got = sum(Decimal(amount) for _, _, r, amount in plan if r == receiver)
                    assert await balance(http, receiver["user_id"]) == Decimal("0.001") + got

        contract = await contract_of(db, owner.address, CHAIN_ID)
        for sender in senders:
            address = sender["address"]
            sent = sum(Decimal(amount) for _, s, _, amount in plan if s == sender)
            # The contract counted each deposit once, and the wallet signed nothing else.
            assert sent_payments(contract, address, url=node) == int(sent * 10**18)
            assert int(rpc("eth_getTransactionCount", address, "latest", url=node), 16) == 4

"""Funds in flight: on a chain with real block times, a wallet's signed but unmined deposits
are debits already. Two payments that the mined balance covers one at a time but not together
must not both be signed: the one that cannot pay never mines, and its nonce gap would block
the wallet for good.

The chain is a private anvil with ``--block-time 1``; the test stops interval mining only
while it needs the first deposit to wait in the mempool (a state it then checks). The service
runs as its own process, so that the two requests are truly concurrent.
"""

import asyncio
import os
from typing import Any

import asyncpg
import httpx

from tests.helpers import (
    client_of,
    eventually,
    funded_owner,
    in_mempool,
    private_anvil,
    rpc,
    service,
    top_up,
    wallet,
)

CHAIN_ID = 31339  # neither the shared anvil's nor test_kill's


async def transfer(http: httpx.AsyncClient, key: str, s: int, r: int, amount: str) -> Any:
    body = {"sender_id": s, "receiver_id": r, "amount": amount}
    return await http.post("/payment/transfers", json=body, headers={"Idempotency-Key": key})


async def test_unmined_deposits_count_against_the_balance(db: asyncpg.Connection) -> None:
    with private_anvil("--block-time", "1", chain_id=CHAIN_ID) as node:
        owner = funded_owner(node)
        quiet = {"PAYMENT_TRACKER_INTERVAL": "3600"}  # only the requests move rows
        with service(node, owner, **quiet) as (base, _):
            async with client_of(base) as app:
                sender, receiver = await wallet(app), await wallet(app)
                s, r = sender["user_id"], receiver["user_id"]
                await top_up(app, s, "1")
                first_key, second_key = (f"flight-{i}-{os.urandom(4).hex()}" for i in range(2))

                async def row(key: str) -> asyncpg.Record | None:
                    return await db.fetchrow(
                        "SELECT step, deposit_tx_hash FROM ledger WHERE idempotency_key = $1", key
                    )

                async def deposited(key: str) -> bool:
                    found = await row(key)
                    return found is not None and found["step"] == "deposit_sent"

                async def in_pool(key: str) -> bool:
                    found = await row(key)
                    return await deposited(key) and in_mempool(
                        node, found and found["deposit_tx_hash"]
                    )

                rpc("evm_setIntervalMining", 0, url=node)  # the next block waits for us
                first = asyncio.create_task(transfer(app, first_key, s, r, "0.6"))
                first_waits = "the first deposit waits in the mempool"
                await eventually(lambda: in_pool(first_key), first_waits)
                second = asyncio.create_task(transfer(app, second_key, s, r, "0.6"))

                async def second_settled() -> bool:
                    return second.done() or await deposited(second_key)

                await eventually(second_settled, "the second payment answered or was signed")
                assert second.done(), "the second deposit was signed against ether already spent"
                refused = second.result()
                assert refused.status_code == 400, refused.text
                assert refused.json()["detail"] == "Insufficient funds"
                assert refused.json()["entry"]["deposit_tx_hash"] is None  # nothing was signed

                rpc("evm_setIntervalMining", 1, url=node)
                confirmed = await first
                assert confirmed.status_code == 201 and confirmed.json()["status"] == "confirmed"
                # No nonce gap: the wallet's next payment mines.
                await top_up(app, s, "1")
                later = await transfer(app, f"flight-later-{os.urandom(4).hex()}", s, r, "0.5")
                assert later.status_code == 201 and later.json()["status"] == "confirmed", (
                    later.text
                )

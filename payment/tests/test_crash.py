"""Crash and reconcile: a replica dies between recording a transaction and seeing it confirmed;
the restarted service finishes the row exactly once."""

from decimal import Decimal
from typing import Any

import pytest

from tests.helpers import (
    OWNER,
    Client,
    balance,
    eventually,
    inject,
    key,
    rpc,
    running,
    sent_payments,
    services_of,
    top_up,
    wallet,
)


async def finished(client: Client, entry_id: int) -> dict[str, Any]:
    """The row once it is confirmed or failed."""
    entry: dict[str, Any] = {}

    async def done() -> bool:
        nonlocal entry
        entry = (await client.get(f"/payment/transactions/{entry_id}")).json()
        return entry["status"] in ("confirmed", "failed")

    await eventually(done, f"row {entry_id} confirmed or failed")
    return entry


@pytest.mark.parametrize("point", ["deposit", "payout", "receipt"])
async def test_restart_finishes_the_row_exactly_once(client: Client, point: str) -> None:
    sender, receiver = await wallet(client), await wallet(client)
    await top_up(client, sender["user_id"], "1")
    body = {"sender_id": sender["user_id"], "receiver_id": receiver["user_id"], "amount": "0.3"}
    headers = key()
    async with running(tracker_interval=60) as doomed:
        inject(doomed.app, point)
        response = await doomed.post("/payment/transfers", json=body, headers=headers)
        assert response.status_code == 500
        [entry] = (await doomed.get("/payment/transactions", params={"kind": "transfer"})).json()[
            "items"
        ]
        assert entry["status"] == "submitted"
        assert entry["tx_hash"] is not None
    async with running(tracker_interval=0.1, tracker_grace=0) as restarted:
        finished_entry = await finished(restarted, entry["id"])
        assert finished_entry["status"] == "confirmed", finished_entry
        # A retry of the original request replays the row; nothing is sent again.
        replay = await restarted.post("/payment/transfers", json=body, headers=headers)
        assert replay.status_code == 200 and replay.json()["id"] == entry["id"]
        contract = services_of(restarted.app).chain.contract_address
        assert sent_payments(contract, sender["address"]) == 3 * 10**17
    assert await balance(client, receiver["user_id"]) == Decimal("0.301")


async def test_a_nonce_taken_by_another_sender_is_signed_again(client: Client) -> None:
    """Someone else signs with the owner key between our nonce pick and our broadcast: the node
    refuses ours as 'nonce too low', and the row is signed again with the next nonce."""
    user = await wallet(client)
    clashes: list[str] = []

    def clash(step: str) -> None:
        if clashes:
            return
        nonce = int(rpc("eth_getTransactionCount", OWNER.address, "pending"), 16)
        fee = 2 * int(rpc("eth_getBlockByNumber", "latest", False)["baseFeePerGas"], 16) + 10**9
        tx = {
            "to": OWNER.address,
            "value": 0,
            "gas": 21_000,
            "nonce": nonce,
            "chainId": 31337,
            "maxFeePerGas": fee,
            "maxPriorityFeePerGas": 10**9,
        }
        clashes.append(
            rpc("eth_sendRawTransaction", "0x" + OWNER.sign_transaction(tx).raw_transaction.hex())
        )

    async with running(tracker_interval=60) as replica:
        services_of(replica.app).engine.before_broadcast = clash
        entry = await top_up(replica, user["user_id"], "0.2")
    assert len(clashes) == 1 and entry["tx_hash"] != clashes[0]
    assert await balance(client, user["user_id"]) == Decimal("0.201")

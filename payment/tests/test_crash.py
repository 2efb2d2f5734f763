"""Crash and reconcile: a replica dies between recording a transaction and seeing it confirmed;
the restarted service finishes the row exactly once."""

import asyncio
from decimal import Decimal
from typing import Any

import pytest
from litestar import Litestar
from web3 import Web3

from payment.chain.client import ARTIFACT
from tests.conftest import ANVIL_URL, OWNER, rpc, running
from tests.helpers import Client, balance, key, services_of, top_up, wallet

CONTRACT = Web3().eth.contract(abi=ARTIFACT["abi"])  # only encodes calls


class Crash(Exception):
    """Stands for the process dying at this point."""


def inject(app: Litestar, point: str) -> None:
    engine = services_of(app).engine
    if point in ("deposit", "payout"):

        def before_broadcast(step: str) -> None:
            if step == point:
                raise Crash(step)

        engine.before_broadcast = before_broadcast
    else:  # after the broadcast, before any receipt was seen

        async def receipt(*_: Any) -> None:
            raise Crash("receipt")

        engine.chain.receipt = receipt  # type: ignore[method-assign]


async def wait_finished(client: Client, entry_id: int) -> dict[str, Any]:
    for _ in range(300):
        entry: dict[str, Any] = (await client.get(f"/payment/transactions/{entry_id}")).json()
        if entry["status"] in ("confirmed", "failed"):
            return entry
        await asyncio.sleep(0.1)
    raise AssertionError(f"row {entry_id} never finished: {entry}")


def sent_payments(contract: str, sender: str, url: str = ANVIL_URL) -> int:
    """What the contract at ``contract`` counts as deposited by ``sender``."""
    data = CONTRACT.encode_abi("sentPayments", args=[sender])
    return int(rpc("eth_call", {"to": contract, "data": data}, "latest", url=url), 16)


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
        finished = await wait_finished(restarted, entry["id"])
        assert finished["status"] == "confirmed", finished
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

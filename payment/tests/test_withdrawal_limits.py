"""Withdrawals cannot make the owner pay unbounded gas: receivers with code are refused (a real
contract whose receive() burns about 1.7 million gas, deployed from bytecode built here), every
payout has a fixed gas ceiling, a withdrawal has a minimum amount, and each user may ask for
only so many per hour."""

import time
from typing import Any

from eth_account import Account

from payment.chain.client import PAYOUT_GAS
from tests.helpers import (
    BURNER_RUNTIME,
    Client,
    key,
    new_user_id,
    rpc,
    running,
    top_up,
    wallet,
)

# Init code: CODECOPY the 14-byte runtime that follows it to memory 0 and RETURN it.
BURNER_INIT = "600e600c600039600e6000f3" + BURNER_RUNTIME


def deploy_burner() -> str:
    deployer = Account.create()
    rpc("anvil_setBalance", deployer.address, hex(10**18))
    block = rpc("eth_getBlockByNumber", "latest", False)
    signed = deployer.sign_transaction(
        {
            "data": "0x" + BURNER_INIT,
            "value": 0,
            "gas": 100_000,
            "maxFeePerGas": 2 * int(block["baseFeePerGas"], 16) + 10**9,
            "maxPriorityFeePerGas": 10**9,
            "nonce": 0,
            "chainId": int(rpc("eth_chainId"), 16),
            "type": 2,
        }
    )
    tx_hash = rpc("eth_sendRawTransaction", "0x" + signed.raw_transaction.hex().removeprefix("0x"))
    deadline = time.monotonic() + 60
    while (receipt := rpc("eth_getTransactionReceipt", tx_hash)) is None:
        assert time.monotonic() < deadline, "the burner was never mined"
        time.sleep(0.05)
    assert receipt["status"] == "0x1"
    address = str(receipt["contractAddress"])
    assert rpc("eth_getCode", address, "latest") == "0x" + BURNER_RUNTIME
    return address


def burned_by_a_call(address: str) -> int:
    return int(rpc("eth_estimateGas", {"to": address, "value": "0x1"}), 16)


async def withdraw(client: Client, user_id: int, address: str, amount: str, **extra: Any) -> Any:
    body = {"user_id": user_id, "address": address, "amount": amount}
    return await client.post("/payment/withdrawals", json=body, headers=extra or key())


async def test_a_receiver_whose_receive_burns_gas_is_refused(client: Client) -> None:
    burner = deploy_burner()
    assert burned_by_a_call(burner) > 1_000_000  # what the owner would pay per payout
    user = await wallet(client)
    await top_up(client, user["user_id"], "0.1")
    response = await withdraw(client, user["user_id"], burner, "0.01")
    assert response.status_code == 400, (
        f"the owner paid {response.json().get('tx_hash')} to a gas burner: {response.text}"
    )
    assert response.json()["detail"] == (
        "address is a contract: withdrawals go to plain accounts only"
    )
    page = await client.get("/payment/transactions", params={"user_id": user["user_id"]})
    assert {e["kind"] for e in page.json()["items"]} == {"gas_grant", "top_up"}  # nothing sent


async def test_a_withdrawal_payout_has_the_fixed_gas_ceiling(client: Client) -> None:
    user = await wallet(client)
    await top_up(client, user["user_id"], "0.1")
    response = await withdraw(client, user["user_id"], Account.create().address, "0.01")
    assert response.status_code == 201, response.text
    payout = rpc("eth_getTransactionByHash", response.json()["tx_hash"])
    assert int(payout["gas"], 16) == PAYOUT_GAS


async def test_a_withdrawal_below_the_minimum_is_400(client: Client) -> None:
    user = await wallet(client)
    await top_up(client, user["user_id"], "0.1")
    response = await withdraw(client, user["user_id"], Account.create().address, "0.0009")
    assert response.status_code == 400, response.text
    assert response.json()["detail"] == "amount is below the minimum withdrawal of 0.001 ETH"
    at_minimum = await withdraw(client, user["user_id"], Account.create().address, "0.001")
    assert at_minimum.status_code == 201, at_minimum.text


async def test_withdrawals_per_user_per_hour_are_limited() -> None:
    async with running(withdrawals_per_hour=2) as app:
        user, other = await wallet(app), await wallet(app)
        for funded in (user, other):
            await top_up(app, funded["user_id"], "0.1")
        first_key = key()
        first = await withdraw(app, user["user_id"], Account.create().address, "0.001", **first_key)
        second = await withdraw(app, user["user_id"], Account.create().address, "0.001")
        assert (first.status_code, second.status_code) == (201, 201), (first.text, second.text)
        third = await withdraw(app, user["user_id"], Account.create().address, "0.001")
        assert third.status_code == 429, third.text
        assert third.json() == {"detail": "Too many withdrawals: at most 2 per hour"}
        # A replay is not a new withdrawal, and the limit is per user.
        replay = await withdraw(
            app, user["user_id"], first.json()["receiver_address"], "0.001", **first_key
        )
        assert replay.status_code == 200 and replay.json()["id"] == first.json()["id"]
        theirs = await withdraw(app, other["user_id"], Account.create().address, "0.001")
        assert theirs.status_code == 201, theirs.text


async def test_a_user_id_beyond_int4_withdraws_under_its_own_limit() -> None:
    """The per-user lock's key is an int4: a larger id (ids are bigints) was a 500."""
    async with running(withdrawals_per_hour=1) as app:
        user = await wallet(app, 2**62 + new_user_id())
        await top_up(app, user["user_id"], "0.1")
        first = await withdraw(app, user["user_id"], Account.create().address, "0.001")
        assert first.status_code == 201, first.text
        second = await withdraw(app, user["user_id"], Account.create().address, "0.001")
        assert second.status_code == 429, second.text

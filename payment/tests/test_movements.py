import asyncio
from decimal import Decimal
from typing import Any

import pytest
from eth_account import Account

from tests.helpers import (
    ADMIN,
    Client,
    balance,
    funded_owner,
    key,
    rpc,
    running,
    services_of,
    top_up,
    wallet,
)


async def funded(client: Client, amount: str = "1") -> dict[str, Any]:
    created = await wallet(client)
    await top_up(client, created["user_id"], amount)
    return created


async def test_top_up_pays_the_user_from_the_pool(client: Client) -> None:
    user = await wallet(client)
    entry = await top_up(client, user["user_id"], "0.5")
    assert entry["kind"] == "top_up" and entry["amount"] == "0.5"
    assert entry["receiver_id"] == user["user_id"] and entry["sender_id"] is None
    assert entry["receiver_address"] == user["address"]
    assert entry["tx_hash"].startswith("0x") and entry["failure_reason"] is None
    assert await balance(client, user["user_id"]) == Decimal("0.501")


async def test_transfer_moves_the_amount_and_the_sender_pays_gas(client: Client) -> None:
    sender, receiver = await funded(client), await wallet(client)
    response = await client.post(
        "/payment/transfers",
        json={"sender_id": sender["user_id"], "receiver_id": receiver["user_id"], "amount": "0.25"},
        headers=key(),
    )
    assert response.status_code == 201, response.text
    entry = response.json()
    assert entry["status"] == "confirmed" and entry["kind"] == "transfer"
    assert entry["sender_address"] == sender["address"]
    assert entry["receiver_address"] == receiver["address"]
    assert entry["deposit_tx_hash"] and entry["tx_hash"] != entry["deposit_tx_hash"]
    assert await balance(client, receiver["user_id"]) == Decimal("0.251")
    left = await balance(client, sender["user_id"])
    assert Decimal("0.75") < left < Decimal("0.751")  # 1.001 - 0.25 - gas


async def test_withdrawal_pays_an_external_address(client: Client) -> None:
    sender = await funded(client)
    external = Account.create().address
    response = await client.post(
        "/payment/withdrawals",
        json={"user_id": sender["user_id"], "address": external.lower(), "amount": "0.1"},
        headers=key(),
    )
    assert response.status_code == 201, response.text
    entry = response.json()
    assert entry["status"] == "confirmed" and entry["receiver_address"] == external
    assert entry["receiver_id"] is None
    assert int(rpc("eth_getBalance", external, "latest"), 16) == 10**17


async def test_replay_returns_the_first_result_and_moves_money_once(client: Client) -> None:
    sender, receiver = await funded(client), await wallet(client)
    body = {"sender_id": sender["user_id"], "receiver_id": receiver["user_id"], "amount": "0.1"}
    headers = key()
    first = await client.post("/payment/transfers", json=body, headers=headers)
    second = await client.post("/payment/transfers", json=body, headers=headers)
    assert first.status_code == 201 and second.status_code == 200
    assert second.json() == first.json()
    # amounts are compared as values: "0.10" is the same request
    third = await client.post(
        "/payment/transfers", json={**body, "amount": "0.10"}, headers=headers
    )
    assert third.status_code == 200 and third.json()["id"] == first.json()["id"]
    assert await balance(client, receiver["user_id"]) == Decimal("0.101")


async def test_same_key_with_another_body_is_409(client: Client) -> None:
    sender, receiver = await funded(client), await wallet(client)
    body = {"sender_id": sender["user_id"], "receiver_id": receiver["user_id"], "amount": "0.1"}
    headers = key()
    assert (await client.post("/payment/transfers", json=body, headers=headers)).status_code == 201
    other = await client.post("/payment/transfers", json={**body, "amount": "0.2"}, headers=headers)
    assert other.status_code == 409 and "Idempotency-Key" in other.json()["detail"]


async def test_concurrent_requests_with_one_key_move_money_once(client: Client) -> None:
    sender, receiver = await funded(client), await wallet(client)
    body = {"sender_id": sender["user_id"], "receiver_id": receiver["user_id"], "amount": "0.2"}
    headers = key()
    responses = await asyncio.gather(
        *(client.post("/payment/transfers", json=body, headers=headers) for _ in range(5))
    )
    assert sorted(r.status_code for r in responses) == [200, 200, 200, 200, 201]
    assert len({r.json()["id"] for r in responses}) == 1
    assert {r.json()["status"] for r in responses} == {"confirmed"}
    assert await balance(client, receiver["user_id"]) == Decimal("0.201")


async def test_insufficient_funds_is_400_with_a_failed_row(client: Client) -> None:
    sender, receiver = await wallet(client), await wallet(client)  # 0.001 ETH of gas money
    body = {"sender_id": sender["user_id"], "receiver_id": receiver["user_id"], "amount": "1"}
    headers = key()
    response = await client.post("/payment/transfers", json=body, headers=headers)
    assert response.status_code == 400, response.text
    assert response.json()["detail"] == "Insufficient funds"
    entry = response.json()["entry"]
    assert entry["status"] == "failed" and entry["failure_reason"] == "Insufficient funds"
    assert entry["tx_hash"] is None
    replay = await client.post("/payment/transfers", json=body, headers=headers)
    assert replay.status_code == 400 and replay.json()["entry"]["id"] == entry["id"]
    stored = await client.get(f"/payment/transactions/{entry['id']}")
    assert stored.json()["status"] == "failed"
    assert await balance(client, receiver["user_id"]) == Decimal("0.001")


async def test_top_up_beyond_the_pool_is_400() -> None:
    owner = funded_owner()
    async with running(owner_private_key=owner.key.hex(), initial_pool=Decimal("0.5")) as small:
        user = await wallet(small)
        response = await small.post(
            "/payment/top-ups",
            json={"user_id": user["user_id"], "amount": "0.6", "actor_id": ADMIN},
            headers=key(),
        )
        assert response.status_code == 400, response.text
        assert response.json()["detail"].startswith("Insufficient funds")
        assert response.json()["entry"]["status"] == "failed"
        assert (await top_up(small, user["user_id"], "0.5"))["status"] == "confirmed"


async def test_amount_above_the_maximum_is_400(client: Client) -> None:
    user = await wallet(client)
    response = await client.post(
        "/payment/top-ups",
        json={"user_id": user["user_id"], "amount": "10.5", "actor_id": ADMIN},
        headers=key(),
    )
    assert response.status_code == 400 and "maximum" in response.json()["detail"]


async def test_unknown_wallets_are_404(client: Client) -> None:
    user = await funded(client)
    cases = [
        (
            "/payment/transfers",
            {"sender_id": user["user_id"], "receiver_id": 987654, "amount": "1"},
        ),
        (
            "/payment/transfers",
            {"sender_id": 987654, "receiver_id": user["user_id"], "amount": "1"},
        ),
        ("/payment/withdrawals", {"user_id": 987654, "address": user["address"], "amount": "1"}),
        ("/payment/top-ups", {"user_id": 987654, "amount": "1", "actor_id": ADMIN}),
    ]
    for path, body in cases:
        response = await client.post(path, json=body, headers=key())
        assert response.status_code == 404, (path, body, response.text)
        assert "Non existent wallet" in response.json()["detail"]


@pytest.mark.parametrize(
    "amount",
    [
        "0",
        "-1",
        "abc",
        "",
        "1e-5",
        "0.0000000000000000001",
        "11",
        "NaN",
        "Infinity",
        None,
        True,
        [1],
        {"v": 1},
        "1,5",
    ],
)
async def test_bad_amounts_are_400(client: Client, amount: object) -> None:
    user = await funded(client, "0.01")
    response = await client.post(
        "/payment/top-ups",
        json={"user_id": user["user_id"], "amount": amount, "actor_id": ADMIN},
        headers=key(),
    )
    if amount == "1e-5":  # exponents are read as the decimal they name
        assert response.status_code == 201, response.text
        assert response.json()["amount"] == "0.00001"
        return
    assert response.status_code == 400, (amount, response.text)
    assert "detail" in response.json()


async def test_amounts_with_nul_or_surrogates_are_400(client: Client) -> None:
    user = await funded(client, "0.01")
    for amount in (b'"0.01\\u0000"', b'"\\ud800"', b'"0.0\\udc001"', b"1" + b"0" * 5000):
        body = b'{"user_id": %d, "amount": %s, "actor_id": 1}' % (user["user_id"], amount)
        response = await client.post(
            "/payment/top-ups", content=body, headers={**key(), "Content-Type": "application/json"}
        )
        assert response.status_code == 400, (amount, response.text)


async def test_a_new_movement_names_its_entry_and_a_replay_does_not(client: Client) -> None:
    user = await wallet(client)
    once = key()
    body = {"user_id": user["user_id"], "amount": "0.01", "actor_id": ADMIN}
    created = await client.post("/payment/top-ups", json=body, headers=once)
    assert created.status_code == 201, created.text
    location = created.headers["location"]
    assert location == f"/payment/transactions/{created.json()['id']}"
    assert (await client.get(location)).json()["id"] == created.json()["id"]
    replay = await client.post("/payment/top-ups", json=body, headers=once)
    assert replay.status_code == 200 and "location" not in replay.headers


async def test_numbers_are_accepted_as_amounts(client: Client) -> None:
    user = await wallet(client)
    response = await client.post(
        "/payment/top-ups",
        json={"user_id": user["user_id"], "amount": 0.05, "actor_id": ADMIN},
        headers=key(),
    )
    assert response.status_code == 201 and response.json()["amount"] == "0.05"


async def test_bad_movement_requests_are_400(client: Client) -> None:
    user, other = await funded(client), await wallet(client)
    ok_body = {"sender_id": user["user_id"], "receiver_id": other["user_id"], "amount": "0.1"}
    missing_key = await client.post("/payment/transfers", json=ok_body)
    assert missing_key.status_code == 400 and "Idempotency-Key" in missing_key.json()["detail"]
    long_key = await client.post(
        "/payment/transfers", json=ok_body, headers={"Idempotency-Key": "k" * 201}
    )
    assert long_key.status_code == 400
    to_self = {**ok_body, "receiver_id": user["user_id"]}
    assert (await client.post("/payment/transfers", json=to_self, headers=key())).status_code == 400
    contract = services_of(client.app).chain.contract_address
    for address in ("0x123", "not an address", "0x" + "g" * 40, "", contract):
        response = await client.post(
            "/payment/withdrawals",
            json={"user_id": user["user_id"], "address": address, "amount": "0.1"},
            headers=key(),
        )
        assert response.status_code == 400, address
    for body in ({}, {"sender_id": "x", "receiver_id": 1, "amount": "1"}, []):
        response = await client.post("/payment/transfers", json=body, headers=key())
        assert response.status_code == 400
    broken = await client.post(
        "/payment/top-ups",
        content=b"{",
        headers={**key(), "Content-Type": "application/json"},
    )
    assert broken.status_code == 400


async def test_movements_require_the_service_credential(client: Client) -> None:
    response = await client.post(
        "/payment/top-ups",
        json={"user_id": 1, "amount": "1", "actor_id": ADMIN},
        headers={"X-Service-Token": ""},
    )
    assert response.status_code == 401

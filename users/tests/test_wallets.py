"""The wallet facade, against the running payment service on the local chain (anvil)."""

import uuid
from decimal import Decimal
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from tests.helpers import CLOSED_PORT_URL, Actor, Client, make_settings
from users.app import create_app

ADDRESS = "0x" + "ab" * 20


async def balance(client: Client, actor: Actor) -> Decimal:
    response = await client.get(f"/users/{actor.id}/wallet/balance", headers=actor.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"balance"} and set(body["balance"]) == {"balance"}
    assert isinstance(body["balance"]["balance"], str)
    return Decimal(body["balance"]["balance"])


async def test_wallet_address_only_to_its_owner(
    client: Client, make_actor: Any, admin_headers: Any
) -> None:
    owner: Actor = await make_actor()
    other: Actor = await make_actor()
    path = f"/users/{owner.id}/wallet"
    assert (await client.get(path)).status_code == 401
    assert (await client.get(path, headers=other.headers)).status_code == 403
    assert (await client.get(path, headers=admin_headers)).status_code == 403
    response = await client.get(path, headers=owner.headers)
    assert response.status_code == 200, response.text
    assert set(response.json()) == {"address"}  # never the private key
    assert response.json()["address"].startswith("0x")
    again = await client.get(path, headers=owner.headers)
    assert again.json() == response.json()


async def test_balance_matrix(client: Client, make_actor: Any, admin_headers: Any) -> None:
    owner: Actor = await make_actor()
    other: Actor = await make_actor()
    path = f"/users/{owner.id}/wallet/balance"
    assert (await client.get(path)).status_code == 401
    assert (await client.get(path, headers=other.headers)).status_code == 403
    assert (await client.get(path, headers=admin_headers)).status_code == 200
    await balance(client, owner)
    missing = await client.get("/users/99999999/wallet/balance", headers=admin_headers)
    assert missing.status_code == 404


async def test_top_up_deposit_withdraw_and_the_ledger(
    client: Client, make_actor: Any, admin_headers: Any
) -> None:
    athlete: Actor = await make_actor()
    trainer: Actor = await make_actor(is_athlete=False)
    start = await balance(client, athlete)

    top_up = f"/users/{athlete.id}/wallet/balance"
    assert (
        await client.patch(top_up, json={"amount": 0.01}, headers=athlete.headers)
    ).status_code == 403
    funded = await client.patch(top_up, json={"amount": 0.01}, headers=admin_headers)
    assert funded.status_code == 200, funded.text
    assert funded.json()["kind"] == "top_up"
    assert await balance(client, athlete) == start + Decimal("0.01")

    trainer_start = await balance(client, trainer)
    deposit = {"receiver_id": trainer.id, "sender_id": athlete.id, "amount": 0.001}
    key = {"Idempotency-Key": f"deposit-{uuid.uuid4()}"}
    paid = await client.post("/users/deposit", json=deposit, headers={**athlete.headers, **key})
    assert paid.status_code == 200, paid.text
    assert paid.json()["status"] in ("pending", "submitted", "confirmed")
    replay = await client.post("/users/deposit", json=deposit, headers={**athlete.headers, **key})
    assert replay.status_code == 200 and replay.json()["id"] == paid.json()["id"]
    assert await balance(client, trainer) == trainer_start + Decimal("0.001")

    extraction = {"receiver_address": ADDRESS, "sender_id": athlete.id, "amount": "0.002"}
    withdrawn = await client.post("/users/extraction", json=extraction, headers=athlete.headers)
    assert withdrawn.status_code == 200, withdrawn.text
    assert withdrawn.json()["receiver"].lower() == ADDRESS

    ledger = await client.get("/users/transactions", headers=admin_headers)
    assert ledger.status_code == 200, ledger.text
    page = ledger.json()
    assert {"items", "total", "page", "size", "pages"} <= set(page)
    assert page["items"] and {"sender", "receiver", "date", "amount", "status"} <= set(
        page["items"][0]
    )
    assert page["size"] == len(page["items"]) <= 10


async def test_deposit_rules(client: Client, make_actor: Any, admin_headers: Any) -> None:
    athlete: Actor = await make_actor()
    other_athlete: Actor = await make_actor()
    trainer: Actor = await make_actor(is_athlete=False)
    body = {"receiver_id": trainer.id, "sender_id": athlete.id, "amount": 0.001}
    assert (await client.post("/users/deposit", json=body)).status_code == 401
    # sender_id must be the caller; admins do not pay on anyone's behalf
    for headers in (other_athlete.headers, admin_headers):
        assert (await client.post("/users/deposit", json=body, headers=headers)).status_code == 403
    to_athlete = {**body, "receiver_id": other_athlete.id}
    refused = await client.post("/users/deposit", json=to_athlete, headers=athlete.headers)
    assert refused.status_code == 403 and refused.json()["detail"] == "Invalid transfer"
    from_trainer = {"receiver_id": trainer.id, "sender_id": trainer.id, "amount": 0.001}
    refused = await client.post("/users/deposit", json=from_trainer, headers=trainer.headers)
    assert refused.status_code == 403
    unknown = {**body, "receiver_id": 99999999}
    assert (
        await client.post("/users/deposit", json=unknown, headers=athlete.headers)
    ).status_code == 404


@pytest.mark.parametrize(
    "amount", [0, -1, 1001, "abc", "1e400", None, "0.0000000000000000001", "NaN"]
)
async def test_bad_amounts_are_400(client: Client, make_actor: Any, amount: Any) -> None:
    athlete: Actor = await make_actor()
    trainer: Actor = await make_actor(is_athlete=False)
    body = {"receiver_id": trainer.id, "sender_id": athlete.id, "amount": amount}
    response = await client.post("/users/deposit", json=body, headers=athlete.headers)
    assert response.status_code == 400, response.text


@pytest.mark.parametrize("address", ["0x123", "not-an-address", "", "0x" + "zz" * 20])
async def test_bad_withdrawal_addresses_are_400(
    client: Client, make_actor: Any, address: str
) -> None:
    athlete: Actor = await make_actor()
    body = {"receiver_address": address, "sender_id": athlete.id, "amount": 0.001}
    response = await client.post("/users/extraction", json=body, headers=athlete.headers)
    assert response.status_code == 400


async def test_extraction_and_ledger_permissions(
    client: Client, make_actor: Any, admin_headers: Any
) -> None:
    athlete: Actor = await make_actor()
    other: Actor = await make_actor()
    body = {"receiver_address": ADDRESS, "sender_id": athlete.id, "amount": 0.001}
    assert (await client.post("/users/extraction", json=body)).status_code == 401
    for headers in (other.headers, admin_headers):
        assert (
            await client.post("/users/extraction", json=body, headers=headers)
        ).status_code == 403
    assert (await client.get("/users/transactions")).status_code == 401
    assert (await client.get("/users/transactions", headers=athlete.headers)).status_code == 403
    bad = await client.get("/users/transactions", params={"offset": -1}, headers=admin_headers)
    assert bad.status_code == 400


async def test_a_payment_outage_is_a_503(make_actor: Any) -> None:
    owner: Actor = await make_actor()
    no_payment = create_app(make_settings(payment_url=f"http://{CLOSED_PORT_URL}"))
    async with AsyncTestClient(app=no_payment) as client:
        response = await client.get(f"/users/{owner.id}/wallet", headers=owner.headers)
    assert response.status_code == 503
    assert response.json()["detail"] == "The payment service is unavailable"

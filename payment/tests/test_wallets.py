import asyncio
from decimal import Decimal

import asyncpg
from eth_account import Account

from payment.crypto import KeyBox
from tests.helpers import ENCRYPTION_KEY, NO_TOKEN, Client, balance, new_user_id, wallet


async def test_create_wallet_is_idempotent_per_user(client: Client) -> None:
    user_id = new_user_id()
    created = await wallet(client, user_id)
    assert created["user_id"] == user_id and created["address"].startswith("0x")
    assert set(created) == {"user_id", "address"}
    again = await client.post("/payment/wallets", json={"user_id": user_id})
    assert again.status_code == 200 and again.json() == created
    read = await client.get(f"/payment/wallets/{user_id}")
    assert read.status_code == 200 and read.json() == created


async def test_new_wallet_gets_a_gas_grant(client: Client) -> None:
    created = await wallet(client)
    response = await client.get(f"/payment/wallets/{created['user_id']}/balance")
    assert response.status_code == 200
    assert response.json() == {**created, "balance": "0.001"}
    grants = await client.get("/payment/transactions", params={"kind": "gas_grant"})
    [grant] = grants.json()["items"]
    assert grant["receiver_address"] == created["address"] and grant["status"] == "confirmed"


async def test_private_key_is_sealed_at_rest(client: Client, db: asyncpg.Connection) -> None:
    created = await wallet(client)
    row = await db.fetchrow("SELECT * FROM wallets WHERE user_id = $1", created["user_id"])
    assert row is not None
    assert set(dict(row)) == {"user_id", "address", "sealed_key", "created_at"}
    private_key = KeyBox(ENCRYPTION_KEY).open(bytes(row["sealed_key"]))
    assert Account.from_key(private_key).address == created["address"]
    assert private_key not in bytes(row["sealed_key"])
    assert private_key.hex() not in bytes(row["sealed_key"]).decode()


async def test_unknown_wallet_is_404(client: Client) -> None:
    for path in ("/payment/wallets/999999", "/payment/wallets/999999/balance"):
        response = await client.get(path)
        assert response.status_code == 404
        assert response.json() == {"detail": "Non existent wallet"}
    huge = await client.get(f"/payment/wallets/{2**70}")
    assert huge.status_code in (400, 404)


async def test_wallet_user_id_may_be_a_numeric_string(client: Client) -> None:
    user_id = new_user_id()
    response = await client.post("/payment/wallets", json={"user_id": str(user_id)})
    assert response.status_code == 201 and response.json()["user_id"] == user_id
    assert await balance(client, user_id) > 0


async def test_bad_wallet_bodies_are_400(client: Client) -> None:
    for body in ({}, {"user_id": 0}, {"user_id": -3}, {"user_id": "abc"}, [1], {"user_id": 2**64}):
        response = await client.post("/payment/wallets", json=body)
        assert response.status_code == 400, (body, response.text)
        assert "detail" in response.json()
    broken = await client.post(
        "/payment/wallets", content=b"{nope", headers={"Content-Type": "application/json"}
    )
    assert broken.status_code == 400


async def test_wallets_require_the_service_credential(client: Client) -> None:
    response = await client.post("/payment/wallets", json={"user_id": 5}, headers=NO_TOKEN)
    assert response.status_code == 401 and "detail" in response.json()
    wrong = await client.get("/payment/wallets/5", headers={"X-Service-Token": "wrong"})
    assert wrong.status_code == 401


async def test_concurrent_creation_makes_one_wallet_and_one_grant(client: Client) -> None:
    user_id = new_user_id()
    responses = await asyncio.gather(
        *(client.post("/payment/wallets", json={"user_id": user_id}) for _ in range(4))
    )
    assert sorted(r.status_code for r in responses) == [200, 200, 200, 201]
    assert len({r.json()["address"] for r in responses}) == 1
    grants = await client.get("/payment/transactions", params={"user_id": user_id})
    assert grants.json()["total"] == 1
    assert await balance(client, user_id) == Decimal("0.001")

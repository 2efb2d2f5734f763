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


async def test_a_created_wallet_names_its_path(client: Client) -> None:
    user_id = new_user_id()
    created = await client.post("/payment/wallets", json={"user_id": user_id})
    assert created.status_code == 201
    assert created.headers["location"] == f"/payment/wallets/{user_id}"
    again = await client.post("/payment/wallets", json={"user_id": user_id})
    assert again.status_code == 200 and "location" not in again.headers


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
    assert set(dict(row)) == {"user_id", "address", "sealed_key", "created_at", "unlinked_at"}
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


async def test_ids_are_integers_or_their_plain_numerals(client: Client) -> None:
    """The forms the document publishes, and no other (true was read as user 1)."""
    for user_id in (True, "+5", " 5", "05", "5.0", "5_0", str(2**63), "\u0665"):
        response = await client.post("/payment/wallets", json={"user_id": user_id})
        assert response.status_code == 400, (user_id, response.text)
    whole = await client.post("/payment/wallets", json={"user_id": float(new_user_id())})
    assert whole.status_code == 201, whole.text


async def test_any_encoding_of_bad_input_is_a_400(client: Client) -> None:
    """NUL bytes, unpaired surrogates, huge numbers and deep nesting are the caller's 400: a
    30 000-deep body used to crash the process (py-evm raises the recursion limit)."""
    deep = b"[" * 30_000 + b"]" * 30_000
    for body in (
        b'{"user_id": "\\u0000"}',
        b'{"user_id": "7\\u0000"}',
        b'{"user_id": "\\ud800"}',
        b'{"user_id": 1' + b"0" * 5000 + b"}",
        b'{"user_id": 1e400}',
        b'{"user_id": 5, "x": ' + deep + b"}",
        b"{" * 60_000,
    ):
        response = await client.post(
            "/payment/wallets", content=body, headers={"Content-Type": "application/json"}
        )
        assert response.status_code == 400, (body[:40], response.text)
        assert "detail" in response.json()
    nested = await client.post(
        "/payment/wallets",
        content=b'{"user_id": 5, "x": ' + deep + b"}",
        headers={"Content-Type": "application/json"},
    )
    assert nested.json() == {"detail": "The JSON body nests deeper than 32 levels"}
    brackets = b'{"x": "' + b"[" * 60_000 + b'", "user_id": %d}' % new_user_id()
    in_a_string = await client.post(
        "/payment/wallets", content=brackets, headers={"Content-Type": "application/json"}
    )
    assert in_a_string.status_code == 201, in_a_string.text  # brackets in a string are text
    assert (await client.get("/payment/healthcheck/")).status_code == 200


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

"""Idempotency keys belong to the user whose money moves: a key another user learned (or
guessed) and used first never makes the owner's own request fail."""

from decimal import Decimal

from eth_account import Account

from tests.helpers import ADMIN, Client, balance, key, top_up, wallet


async def test_a_key_used_first_by_another_user_does_not_block_the_owner(client: Client) -> None:
    victim, attacker, trainer = await wallet(client), await wallet(client), await wallet(client)
    await top_up(client, victim["user_id"], "0.5")
    await top_up(client, attacker["user_id"], "0.5")
    stolen = key()
    # The attacker spends the victim's key first, on its own (tiny) transfer and withdrawal.
    own = {"sender_id": attacker["user_id"], "receiver_id": trainer["user_id"], "amount": "0.01"}
    first = await client.post("/payment/transfers", json=own, headers=stolen)
    assert first.status_code == 201, first.text
    external = Account.create().address
    own_out = {"user_id": attacker["user_id"], "address": external, "amount": "0.01"}
    first_out = await client.post("/payment/withdrawals", json=own_out, headers=stolen)
    assert first_out.status_code == 201, first_out.text

    mine = {"sender_id": victim["user_id"], "receiver_id": trainer["user_id"], "amount": "0.1"}
    response = await client.post("/payment/transfers", json=mine, headers=stolen)
    assert response.status_code == 201, response.text
    entry = response.json()
    assert entry["sender_id"] == victim["user_id"] and entry["status"] == "confirmed"
    assert entry["id"] != first.json()["id"]
    mine_out = {"user_id": victim["user_id"], "address": external, "amount": "0.1"}
    response_out = await client.post("/payment/withdrawals", json=mine_out, headers=stolen)
    assert response_out.status_code == 201, response_out.text
    assert response_out.json()["id"] != first_out.json()["id"]
    assert await balance(client, trainer["user_id"]) == Decimal("0.001") + Decimal("0.11")

    # Within one user the key still means "the same request": a replay is 200, another body 409.
    replay = await client.post("/payment/transfers", json=mine, headers=stolen)
    assert replay.status_code == 200 and replay.json()["id"] == entry["id"]
    other = await client.post("/payment/transfers", json={**mine, "amount": "0.2"}, headers=stolen)
    assert other.status_code == 409


async def test_top_up_keys_are_scoped_to_the_receiving_user(client: Client) -> None:
    first, second = await wallet(client), await wallet(client)
    shared = key()
    one = await client.post(
        "/payment/top-ups",
        json={"user_id": first["user_id"], "amount": "0.01", "actor_id": ADMIN},
        headers=shared,
    )
    two = await client.post(
        "/payment/top-ups",
        json={"user_id": second["user_id"], "amount": "0.01", "actor_id": ADMIN},
        headers=shared,
    )
    assert (one.status_code, two.status_code) == (201, 201), (one.text, two.text)
    assert one.json()["id"] != two.json()["id"]

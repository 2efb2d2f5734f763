"""The in-process eth-tester chain (PAYMENT_RPC_URL unset) and an unreachable node."""

from decimal import Decimal

from eth_account import Account

from tests.helpers import (
    ADMIN,
    NO_TOKEN,
    Client,
    balance,
    inject,
    key,
    running,
    services_of,
    top_up,
    wallet,
)


async def test_every_movement_works_on_eth_tester() -> None:
    async with running(rpc_url=None, owner_private_key=None, initial_pool=Decimal("2")) as tester:
        assert services_of(tester.app).chain.is_tester
        alice, bob = await wallet(tester), await wallet(tester)
        await top_up(tester, alice["user_id"], "1")
        transfer = await tester.post(
            "/payment/transfers",
            json={"sender_id": alice["user_id"], "receiver_id": bob["user_id"], "amount": "0.4"},
            headers=key(),
        )
        assert transfer.status_code == 201 and transfer.json()["status"] == "confirmed"
        assert await balance(tester, bob["user_id"]) == Decimal("0.401")
        external = Account.create().address
        withdrawal = await tester.post(
            "/payment/withdrawals",
            json={"user_id": bob["user_id"], "address": external, "amount": "0.2"},
            headers=key(),
        )
        assert withdrawal.status_code == 201 and withdrawal.json()["status"] == "confirmed"
        broke = await tester.post(
            "/payment/top-ups",
            json={"user_id": bob["user_id"], "amount": "5", "actor_id": ADMIN},
            headers=key(),
        )
        assert broke.status_code == 400 and broke.json()["detail"].startswith("Insufficient")
        poor = await tester.post(
            "/payment/transfers",
            json={"sender_id": bob["user_id"], "receiver_id": alice["user_id"], "amount": "3"},
            headers=key(),
        )
        assert poor.status_code == 400 and poor.json()["detail"] == "Insufficient funds"


async def test_a_configured_owner_is_funded_on_eth_tester() -> None:
    owner = Account.create()
    async with running(rpc_url=None, owner_private_key=owner.key.hex()) as tester:
        user = await wallet(tester)
        assert (await top_up(tester, user["user_id"], "0.5"))["status"] == "confirmed"


async def test_unreachable_chain_is_503(client: Client) -> None:
    contract = services_of(client.app).chain.contract_address
    async with running(rpc_url="http://127.0.0.1:9", contract_address=contract) as down:
        user = await wallet(down)  # the wallet is stored; its gas grant waits for the chain
        assert (await down.get(f"/payment/wallets/{user['user_id']}")).status_code == 200
        response = await down.get(f"/payment/wallets/{user['user_id']}/balance")
        assert response.status_code == 503 and response.json()["detail"] == "Blockchain unreachable"
        other = await wallet(down)
        # Requests that are valid in every other respect (the healthy app below accepts the same
        # ones), so that only the chain's absence can refuse them.
        requests = [
            (
                "/payment/top-ups",
                {"user_id": user["user_id"], "amount": "1", "actor_id": ADMIN},
                key(),
            ),
            (
                "/payment/withdrawals",
                {"user_id": user["user_id"], "address": Account.create().address, "amount": "0.1"},
                key(),
            ),
            (
                "/payment/transfers",
                {"sender_id": user["user_id"], "receiver_id": other["user_id"], "amount": "0.1"},
                key(),
            ),
        ]
        for path, body, headers in requests:
            moved = await down.post(path, json=body, headers=headers)
            assert moved.status_code == 503, (path, moved.text)
            assert moved.json() == {"detail": "Blockchain unreachable"}
        # Readiness fails only without the database: the chain is reported, by state only.
        ready = await down.get("/payment/readiness/", headers=NO_TOKEN)
        assert ready.status_code == 200, ready.text
        assert ready.json()["checks"]["chain"] == "unavailable" and ready.json()["degraded"]
    # A 503 records no movement: with the chain back, each key executes afresh (201, not a
    # replay), which also shows that nothing but the outage stood in the requests' way.
    for path, body, headers in requests:
        moved = await client.post(path, json=body, headers=headers)
        assert moved.status_code == 201, (path, moved.text)
        assert moved.json()["status"] == "confirmed"


async def test_a_reset_chain_fails_what_it_lost_and_starts_clean() -> None:
    tester = {"rpc_url": None, "owner_private_key": None, "tracker_interval": 60}
    async with running(**tester) as first:
        user = await wallet(first)
        inject(first.app, "payout")  # dies with the top-up signed and recorded, not sent
        lost = await first.post(
            "/payment/top-ups",
            json={"user_id": user["user_id"], "amount": "0.5", "actor_id": ADMIN},
            headers=key(),
        )
        assert lost.status_code == 500
        [entry] = (await first.get("/payment/transactions", params={"kind": "top_up"})).json()[
            "items"
        ]
        assert entry["status"] == "submitted"
    async with running(**tester) as second:  # a new in-memory chain: the old one is gone
        gone = (await second.get(f"/payment/transactions/{entry['id']}")).json()
        assert gone["status"] == "failed"
        assert gone["failure_reason"] == "The chain was reset before this movement was confirmed"
        # the owner's stored nonce was dropped with the old chain: new movements go through
        fresh = await wallet(second)
        assert (await top_up(second, fresh["user_id"], "0.1"))["status"] == "confirmed"

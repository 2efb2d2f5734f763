from decimal import Decimal
from typing import Any

import asyncpg
from redis.asyncio import Redis

from tests.helpers import ADMIN, Client, eventually, key, published, top_up, wallet


async def pages(client: Client, size: int, **params: Any) -> tuple[list[int], set[int]]:
    """Every id a listing's pages give, page after page, and the totals they reported."""
    ids: list[int] = []
    totals: set[int] = set()
    while True:
        query = {**params, "offset": len(ids), "limit": size}
        body = (await client.get("/payment/transactions", params=query)).json()
        totals.add(body["total"])
        ids += [entry["id"] for entry in body["items"]]
        if len(body["items"]) < size:
            return ids, totals


async def test_a_partys_pages_are_its_movements_as_sender_and_receiver_newest_first(
    client: Client, db: asyncpg.Connection
) -> None:
    alice, bob, carol = await wallet(client), await wallet(client), await wallet(client)
    await top_up(client, alice["user_id"], "1")
    await top_up(client, bob["user_id"], "1")
    for sender, receiver in [(alice, bob), (bob, alice), (alice, carol), (bob, carol)]:
        moved = await client.post(
            "/payment/transfers",
            json={
                "sender_id": sender["user_id"],
                "receiver_id": receiver["user_id"],
                "amount": "0.1",
            },
            headers=key(),
        )
        assert moved.status_code == 201
    for party in ({"user_id": alice["user_id"]}, {"address": alice["address"]}):
        expected = await db.fetch(
            "SELECT id FROM ledger WHERE $1 IN (sender_address, receiver_address) ORDER BY id DESC",
            alice["address"],
        )
        for size in (1, 2, 10):
            ids, totals = await pages(client, size, **party)
            assert ids == [record["id"] for record in expected]  # grant, top-up, 3 transfers
            assert totals == {5}
    transfers, totals = await pages(client, 2, user_id=bob["user_id"], kind="transfer")
    assert len(transfers) == 3 and totals == {3}


async def test_the_kept_counts_are_the_ledgers_by_kind(
    client: Client, db: asyncpg.Connection
) -> None:
    user = await wallet(client)
    entry = await top_up(client, user["user_id"], "0.1")
    replay = await client.post(  # the same key: no second row, no second count
        "/payment/top-ups",
        json={"user_id": user["user_id"], "amount": "0.1", "actor_id": ADMIN},
        headers={"Idempotency-Key": "kept-counts"},
    )
    again = await client.post(
        "/payment/top-ups",
        json={"user_id": user["user_id"], "amount": "0.1", "actor_id": ADMIN},
        headers={"Idempotency-Key": "kept-counts"},
    )
    assert replay.status_code == 201 and again.status_code == 200
    counted = await db.fetch("SELECT kind, count(*) AS n FROM ledger GROUP BY kind ORDER BY kind")
    kept = await db.fetch(
        "SELECT kind, movements AS n FROM ledger_counts WHERE movements > 0 ORDER BY kind"
    )
    assert [tuple(r) for r in kept] == [tuple(r) for r in counted]
    for kind, n in [(None, 3), ("top_up", 2), ("gas_grant", 1), ("refund", 0)]:
        params = {"kind": kind} if kind else {}
        body = (await client.get("/payment/transactions", params=params)).json()
        assert body["total"] == n
    assert entry["kind"] == "top_up"
    # A delete (a down migration's, an operator's) subtracts what it removed.
    await db.execute("DELETE FROM ledger WHERE id = $1", entry["id"])
    assert await db.fetchval("SELECT movements FROM ledger_counts WHERE kind = 'top_up'") == 1
    await db.execute("TRUNCATE wallets, ledger, outbox")
    assert await db.fetchval("SELECT count(*) FROM ledger_counts") == 0


async def test_the_kept_amounts_count_the_movements_at_or_above_a_minimum(
    client: Client, db: asyncpg.Connection
) -> None:
    alice, bob = await wallet(client), await wallet(client)
    entries = [await top_up(client, alice["user_id"], amount) for amount in ("0.1", "0.1", "0.3")]
    moved = await client.post(
        "/payment/transfers",
        json={"sender_id": alice["user_id"], "receiver_id": bob["user_id"], "amount": "0.3"},
        headers=key(),
    )
    assert moved.status_code == 201

    async def kept_matches_the_ledger() -> None:
        counted = await db.fetch(
            "SELECT amount_wei, kind, count(*) AS n FROM ledger GROUP BY 1, 2 ORDER BY 1, 2"
        )
        kept = await db.fetch(
            "SELECT amount_wei, kind, movements AS n FROM ledger_amounts ORDER BY 1, 2"
        )
        assert [tuple(r) for r in kept] == [tuple(r) for r in counted]

    await kept_matches_the_ledger()
    for params in (
        {"min_amount": "0"},
        {"min_amount": "0.1"},
        {"min_amount": "0.2"},
        {"min_amount": "0.3"},
        {"min_amount": "0.30000001"},
        {"min_amount": "0.3", "kind": "top_up"},
        {"min_amount": "0.1", "kind": "transfer"},
    ):
        where = "amount_wei >= $1"
        args: list[Any] = [int(Decimal(params["min_amount"]) * 10**18)]
        if "kind" in params:
            where, args = where + " AND kind = $2", [*args, params["kind"]]
        expected = await db.fetchval(f"SELECT count(*) FROM ledger WHERE {where}", *args)
        body = (await client.get("/payment/transactions", params=params)).json()
        assert body["total"] == expected, params
    # A delete subtracts, and an amount none of whose movements is left is gone.
    await db.execute("DELETE FROM ledger WHERE id = $1", entries[2]["id"])
    await kept_matches_the_ledger()
    await db.execute("DELETE FROM ledger WHERE id = ANY($1)", [e["id"] for e in entries[:2]])
    await kept_matches_the_ledger()
    assert not await db.fetchval("SELECT count(*) FROM ledger_amounts WHERE movements = 0")
    await db.execute("TRUNCATE wallets, ledger, outbox")
    assert await db.fetchval("SELECT count(*) FROM ledger_amounts") == 0


async def test_listing_pages_newest_first_with_filters(client: Client) -> None:
    alice, bob = await wallet(client), await wallet(client)
    small = await top_up(client, alice["user_id"], "0.01")
    large = await top_up(client, alice["user_id"], "0.5")
    transfer = await client.post(
        "/payment/transfers",
        json={"sender_id": alice["user_id"], "receiver_id": bob["user_id"], "amount": "0.2"},
        headers=key(),
    )
    assert transfer.status_code == 201
    page = (await client.get("/payment/transactions", params={"limit": 2})).json()
    assert page["total"] == 5 and page["offset"] == 0 and page["limit"] == 2  # 2 grants too
    assert [e["id"] for e in page["items"]] == [transfer.json()["id"], large["id"]]
    rest = (await client.get("/payment/transactions", params={"offset": 2, "limit": 10})).json()
    assert rest["items"][0]["id"] == small["id"] and len(rest["items"]) == 3

    by_address = await client.get("/payment/transactions", params={"address": bob["address"]})
    assert {e["kind"] for e in by_address.json()["items"]} == {"gas_grant", "transfer"}
    lower = await client.get("/payment/transactions", params={"address": bob["address"].lower()})
    assert lower.json()["total"] == 2
    rich = await client.get("/payment/transactions", params={"min_amount": "0.2"})
    assert {e["id"] for e in rich.json()["items"]} == {large["id"], transfer.json()["id"]}
    mine = await client.get(
        "/payment/transactions", params={"user_id": alice["user_id"], "kind": "top_up"}
    )
    assert mine.json()["total"] == 2
    for zero in ("0", "0.00"):
        everything = await client.get("/payment/transactions", params={"min_amount": zero})
        assert everything.json()["total"] == 5
    done = await client.get("/payment/transactions", params={"status": "confirmed"})
    assert done.json()["total"] == 5
    one = await client.get(f"/payment/transactions/{small['id']}")
    assert one.status_code == 200 and one.json() == small | {"updated_at": one.json()["updated_at"]}


async def test_bad_listing_parameters_are_400(client: Client) -> None:
    for params in (
        {"limit": 0},
        {"limit": 10**6},
        {"offset": -1},
        {"limit": "ten"},
        {"min_amount": "-1"},
        {"min_amount": "abc"},
        {"address": "0x12"},
        {"kind": "gift"},
        {"status": "lost"},
        {"user_id": 0},
        {"min_amount": "-0"},
        {"min_amount": "1e-3"},  # a plain decimal: an exponent like this one was
        {"min_amount": "1e999999"},  # a 500 (the decimal context's overflow)
        {"min_amount": "0.0000000000000000001"},
        {"min_amount": "1\u0000"},
    ):
        response = await client.get("/payment/transactions", params=params)
        assert response.status_code == 400, (params, response.text)
        assert "detail" in response.json()
    # Bytes that are no UTF-8 (a surrogate's encoding), in each text parameter.
    for name in ("address", "min_amount", "kind", "status"):
        response = await client.get(f"/payment/transactions?{name}=%ED%A0%80")
        assert response.status_code == 400, (name, response.text)


async def test_unknown_transaction_is_404(client: Client) -> None:
    for entry_id in ("999999", str(2**64)):
        response = await client.get(f"/payment/transactions/{entry_id}")
        assert response.status_code in (400, 404)
    assert (await client.get("/payment/transactions/424242")).status_code == 404


async def test_confirmed_movements_publish_events(client: Client, redis: Redis) -> None:
    user = await wallet(client)
    await top_up(client, user["user_id"], "0.01")
    events: list[dict[str, object]] = []

    async def three() -> bool:
        nonlocal events
        events = await published(redis)
        return len(events) >= 3

    await eventually(three, "the three events on the stream")
    names = sorted((e["metric"], e.get("label")) for e in events)
    assert names == [
        ("payment_confirmed_count", "gas_grant"),
        ("payment_confirmed_count", "top_up"),
        ("wallet_created_count", None),
    ]
    assert all(e["source"] == "payment" and str(e["date"]).endswith("Z") for e in events)

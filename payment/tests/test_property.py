"""Property: any sequence of transfers and retries (same key, same or different body) conserves
the total (balances + gas paid) and never executes a key twice."""

import asyncio
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.helpers import Client, balance, rpc, running, top_up, wallet

Op = tuple[int, int, str, int]  # sender index, receiver index, amount, key index (per sender)
ops = st.lists(
    st.tuples(
        st.integers(0, 2),
        st.integers(0, 2),
        st.sampled_from(["0.01", "0.05", "0.2", "0.6"]),
        st.integers(0, 4),
    ),
    min_size=1,
    max_size=8,
)


def gas_paid(tx_hash: str) -> int:
    receipt = rpc("eth_getTransactionReceipt", tx_hash)
    return int(receipt["gasUsed"], 16) * int(receipt["effectiveGasPrice"], 16)


async def run(plan: list[Op], run_id: int) -> None:
    async with running(tracker_interval=60) as client:
        await check(client, plan, run_id)


async def check(client: Client, plan: list[Op], run_id: int) -> None:
    users = [await wallet(client) for _ in range(3)]
    for user in users:
        await top_up(client, user["user_id"], "0.5")
    ids = [u["user_id"] for u in users]
    total_before = sum([await balance(client, i) for i in ids], Decimal(0))
    # Keys are scoped to the sender: (sender, key) names one request.
    first_body: dict[tuple[int, int], dict[str, object]] = {}
    row_of_key: dict[tuple[int, int], int] = {}
    for s, r, amount, n in plan:
        body = {"sender_id": ids[s], "receiver_id": ids[r], "amount": amount}
        headers = {"Idempotency-Key": f"run{run_id}-key{n}"}
        response = await client.post("/payment/transfers", json=body, headers=headers)
        if s == r:
            assert response.status_code == 400
            continue
        k = (s, n)
        if k in first_body and first_body[k] != body:
            assert response.status_code == 409
            continue
        assert response.status_code in (200, 201, 400), response.text
        entry = response.json().get("entry", response.json())
        if k in first_body:
            assert entry["id"] == row_of_key[k] and response.status_code in (200, 400)
        else:
            assert response.status_code in (201, 400)
            first_body[k], row_of_key[k] = body, entry["id"]
        assert entry["status"] in ("confirmed", "failed")
    page = await client.get("/payment/transactions", params={"kind": "transfer", "limit": 500})
    rows = [e for e in page.json()["items"] if e["sender_id"] in ids]
    assert sorted(e["id"] for e in rows) == sorted(row_of_key.values())  # one row per key
    gas = sum(gas_paid(e["deposit_tx_hash"]) for e in rows if e["deposit_tx_hash"])
    total_after = sum([await balance(client, i) for i in ids], Decimal(0))
    assert total_after + Decimal(gas) / 10**18 == total_before


@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(plan=ops, run_id=st.integers(0, 10**12))
def test_transfers_and_retries_conserve_the_total(plan: list[Op], run_id: int) -> None:
    asyncio.run(run(plan, run_id))

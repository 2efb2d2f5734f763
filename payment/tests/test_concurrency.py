"""Many transfers at once, several from one sender, across two replicas: no nonce collides,
every row confirms, and the ledger agrees with the chain."""

import asyncio
import random
from collections import Counter
from decimal import Decimal

from tests.helpers import Client, balance, key, running, top_up, wallet


async def test_concurrent_transfers_across_replicas_agree_with_the_chain(client: Client) -> None:
    users = [await wallet(client) for _ in range(6)]
    for user in users:
        await top_up(client, user["user_id"], "1")
    before = {u["user_id"]: await balance(client, u["user_id"]) for u in users}
    rng = random.Random(7)
    plan = []
    for _ in range(24):
        sender, receiver = rng.sample(users, 2)
        plan.append((sender["user_id"], receiver["user_id"], rng.choice(["0.01", "0.02", "0.05"])))
    async with running() as replica:
        responses = await asyncio.gather(
            *(
                (client if i % 2 else replica).post(
                    "/payment/transfers",
                    json={"sender_id": s, "receiver_id": r, "amount": a},
                    headers=key(),
                )
                for i, (s, r, a) in enumerate(plan)
            )
        )
    assert [r.status_code for r in responses] == [201] * len(plan), [r.text for r in responses]
    entries = [r.json() for r in responses]
    assert {e["status"] for e in entries} == {"confirmed"}
    assert len({e["tx_hash"] for e in entries} | {e["deposit_tx_hash"] for e in entries}) == 48
    received: Counter[int] = Counter()
    sent: Counter[int] = Counter()
    for s, r, a in plan:
        received[r] += int(Decimal(a) * 10**18)
        sent[s] += int(Decimal(a) * 10**18)
    for user in users:
        uid = user["user_id"]
        after = await balance(client, uid)
        expected = before[uid] + Decimal(received[uid] - sent[uid]) / 10**18
        gas = expected - after  # only the sender's deposit gas is unaccounted for
        assert Decimal(0) <= gas < Decimal("0.0005"), (uid, after, expected)
        assert (gas > 0) == (sent[uid] > 0)

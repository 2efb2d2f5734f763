"""Sign-up is no faucet: a wallet's gas grant pays its deposit gas and is never money, so a
fresh wallet cannot transfer or withdraw it; what the wallet received as money stays fully
spendable. And the owner, who pays for every grant, raises an alert when it runs low."""

import json
import logging
from decimal import Decimal

import asyncpg
from eth_account import Account
from prometheus_client import REGISTRY

from tests.helpers import Client, balance, funded_owner, key, rpc, running, top_up, wallet


async def test_a_gas_grant_cannot_be_moved_as_money(client: Client) -> None:
    fresh, accomplice = await wallet(client), await wallet(client)
    assert await balance(client, fresh["user_id"]) == Decimal("0.001")  # the grant arrived
    body = {"sender_id": fresh["user_id"], "receiver_id": accomplice["user_id"], "amount": "0.0007"}
    drained = await client.post("/payment/transfers", json=body, headers=key())
    assert drained.status_code == 400, drained.text
    assert drained.json()["detail"] == "Insufficient funds"
    external = Account.create().address
    out = {"user_id": fresh["user_id"], "address": external, "amount": "0.0007"}
    withdrawn = await client.post("/payment/withdrawals", json=out, headers=key())
    assert withdrawn.status_code == 400, withdrawn.text
    assert int(rpc("eth_getBalance", external, "latest"), 16) == 0
    assert await balance(client, accomplice["user_id"]) == Decimal("0.001")


async def test_money_received_stays_spendable_to_the_last_wei(client: Client) -> None:
    user, trainer = await wallet(client), await wallet(client)
    await top_up(client, user["user_id"], "0.01")
    over = {"sender_id": user["user_id"], "receiver_id": trainer["user_id"], "amount": "0.0101"}
    refused = await client.post("/payment/transfers", json=over, headers=key())
    assert refused.status_code == 400 and refused.json()["detail"] == "Insufficient funds"
    all_of_it = {**over, "amount": "0.01"}
    paid = await client.post("/payment/transfers", json=all_of_it, headers=key())
    assert paid.status_code == 201 and paid.json()["status"] == "confirmed", paid.text
    # The deposit's gas came out of the grant's float: nothing left to send.
    tiny = {**over, "amount": "0.0000001"}
    assert (await client.post("/payment/transfers", json=tiny, headers=key())).status_code == 400


class Captured(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def _low_count() -> float:
    return REGISTRY.get_sample_value("fiufit_payment_owner_balance_low_total") or 0.0


async def test_the_owner_running_low_is_alerted(db: asyncpg.Connection) -> None:
    owner = funded_owner()
    alert = {"initial_pool": Decimal("0"), "owner_balance_alert": Decimal("1")}
    async with running(owner_private_key=owner.key.hex(), **alert) as app:
        engine_log = logging.getLogger("payment.ledger.engine")
        captured = Captured()
        engine_log.addHandler(captured)
        try:
            # Enough for one grant (and its gas) above the threshold, not for two.
            rpc("anvil_setBalance", owner.address, hex(10**18 + 15 * 10**14))
            before = _low_count()
            await wallet(app)
            assert _low_count() == before and not captured.records
            gauge = REGISTRY.get_sample_value("fiufit_payment_owner_balance_eth")
            assert gauge is not None and 1 < gauge < 1.0015
            await wallet(app)
            await wallet(app)
        finally:
            engine_log.removeHandler(captured)
        assert _low_count() == before + 2  # each check below the threshold counts
        [first, *_] = captured.records
        fields = first.fields  # type: ignore[attr-defined]
        assert fields["alert"] == "owner_balance_low" and fields["owner"] == owner.address
        assert int(fields["balance_wei"]) < 10**18 == int(fields["threshold_wei"])
        rows = await db.fetch("SELECT payload::text AS payload FROM outbox")
        events = [json.loads(row["payload"])["metric"] for row in rows]
        assert events.count("payment_owner_balance_low_count") == 1  # once, on the way down

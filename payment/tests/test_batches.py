"""The owner's payouts in batches: recorded in one statement, broadcast in one JSON-RPC batch
(`Chain.broadcast_all`), and what becomes of each when the node refuses one in the middle."""

from decimal import Decimal
from typing import Any

import asyncpg
from eth_account import Account
from eth_account.typed_transactions.typed_transaction import TypedTransaction
from hexbytes import HexBytes

from payment.chain.client import Chain, Rejected, SignedTx
from payment.crypto import KeyBox
from payment.db import create_pool
from payment.ledger import repository as ledger
from payment.ledger.engine import CLASHED, LOST, NONCE_CLASH, SENT, Engine, _Send
from payment.ledger.repository import NewEntry
from tests.helpers import DATABASE_URL, ENCRYPTION_KEY, funded_owner, private_anvil, rpc

CHAIN_ID = 31_339  # a private anvil's: not the shared node's 31337, nor test_kill's


def nonce_of(raw: bytes) -> int:
    return int(TypedTransaction.from_bytes(HexBytes(raw)).as_dict()["nonce"])


def clash(error: Rejected | None) -> bool:
    return error is not None and any(sign in str(error).lower() for sign in NONCE_CLASH)


async def test_a_batch_of_broadcasts_is_judged_transaction_by_transaction() -> None:
    """One round trip for many transactions, each answered on its own: one the node already
    has counts as sent, a refused one does not keep the node from taking the next."""
    with private_anvil(chain_id=CHAIN_ID) as node:
        sender = Account.create()
        rpc("anvil_setBalance", sender.address, hex(10**18), url=node)
        rpc("evm_setAutomine", False, url=node)  # all four meet in the pool
        base = int(rpc("eth_getBlockByNumber", "latest", False, url=node)["baseFeePerGas"], 16)

        def signed(nonce: int, value: int) -> bytes:
            tx = {"to": sender.address, "value": value, "gas": 21_000, "nonce": nonce,
                  "chainId": CHAIN_ID, "maxFeePerGas": 2 * base + 10**9,
                  "maxPriorityFeePerGas": 10**9, "type": 2}  # fmt: skip
            return bytes(sender.sign_transaction(tx).raw_transaction)

        chain = Chain.connect(node, 10, Decimal(1))
        try:
            first, rival, second = signed(0, 1), signed(0, 2), signed(1, 1)
            answers = await chain.broadcast_all([first, rival, second, first])
            assert answers[0] is None and answers[2] is None
            assert clash(answers[1]), answers[1]  # the same nonce at the same fee: refused
            assert answers[3] is None  # already known: sent
            rpc("evm_mine", url=node)
            assert int(rpc("eth_getTransactionCount", sender.address, "latest", url=node), 16) == 2
        finally:
            await chain.close()


async def test_a_later_payout_the_node_took_after_a_refused_one_stays_sent() -> None:
    """Another sender takes the owner's nonce that the middle payout of a batch of three was
    signed with. The node refuses that one and takes the first and the third: the third is
    sent as signed (its nonce is never signed again), the refused one is signed anew with the
    next free nonce, and each payout lands once, with no nonce of the owner unused. (An engine
    of the test's own, on a private anvil: the batch is made up, not waited for.)"""
    with private_anvil(chain_id=CHAIN_ID) as node:
        owner = funded_owner(node)
        chain = Chain.connect(node, 10, Decimal(1))
        pool = await create_pool(DATABASE_URL, 1, 4)
        engine = Engine(pool, chain, KeyBox(ENCRYPTION_KEY), owner)
        receivers = [Account.create().address for _ in range(4)]
        foreign: list[str] = []

        def take_a_nonce(step: str) -> None:
            # Before the batch goes out: the second of its nonces is taken, at a fee far above
            # the payouts', so that no payout could replace it in the pool.
            if foreign:
                return
            nonce = int(rpc("eth_getTransactionCount", owner.address, "pending", url=node), 16)
            base = int(rpc("eth_getBlockByNumber", "latest", False, url=node)["baseFeePerGas"], 16)
            tx = {"to": owner.address, "value": 0, "gas": 21_000, "nonce": nonce + 1,
                  "chainId": CHAIN_ID, "maxFeePerGas": 10 * (2 * base + 10**9),
                  "maxPriorityFeePerGas": 5 * 10**9}  # fmt: skip
            raw = owner.sign_transaction(tx).raw_transaction.hex()
            foreign.append(rpc("eth_sendRawTransaction", "0x" + raw, url=node))

        try:
            rows = []
            for n, receiver in enumerate(receivers):
                entry = NewEntry("gas_grant", f"batch-{receiver}", "h", None, 10**9 + n,
                                 owner.address, receiver, 10**15)  # fmt: skip
                async with pool.acquire() as conn:
                    rows.append(await ledger.insert(conn, entry, CHAIN_ID))
            lone = await engine.run(rows[0].id, 30)
            assert lone.status == "confirmed"
            engine.before_broadcast = take_a_nonce
            batch = [_Send(row, await engine._payout(row), 1) for row in rows[1:]]
            outcomes = await engine._send_payouts(batch)
            assert [outcome for outcome, _ in outcomes] == [SENT, CLASHED, SENT]
            finished = [await engine.run(row.id, 30) for row in rows]
            assert {row.status for row in finished} == {"confirmed"}
            nonces = [nonce_of(row.payout_raw_tx) for row in finished if row.payout_raw_tx]
            # The first batch's third kept its nonce; the refused one came after it.
            assert nonces == [0, 1, 4, 3]
            assert rpc("eth_getTransactionReceipt", foreign[0], url=node)["status"] == "0x1"
            assert int(rpc("eth_getTransactionCount", owner.address, "latest", url=node), 16) == 5
            for receiver in receivers:  # each paid once
                assert int(rpc("eth_getBalance", receiver, "latest", url=node), 16) == 10**15
        finally:
            # The rows stay, on a chain id no app of the session works on (the ledger only grows).
            async with pool.acquire() as conn:
                await conn.execute("DELETE FROM nonces WHERE chain_id = $1", CHAIN_ID)
            await pool.close()
            await chain.close()


async def test_a_payout_in_a_batch_twice_is_signed_and_sent_once() -> None:
    """Its request and the tracker may both hand a row to the same batch: one transaction,
    one payment; the second copy's caller finds the row moved on."""
    with private_anvil(chain_id=CHAIN_ID) as node:
        owner = funded_owner(node)
        chain = Chain.connect(node, 10, Decimal(1))
        pool = await create_pool(DATABASE_URL, 1, 4)
        engine = Engine(pool, chain, KeyBox(ENCRYPTION_KEY), owner)
        receiver = Account.create().address
        try:
            entry = NewEntry("gas_grant", f"twice-{receiver}", "h", None, 10**9, owner.address,
                             receiver, 10**15)  # fmt: skip
            async with pool.acquire() as conn:
                row = await ledger.insert(conn, entry, CHAIN_ID)
            assert row is not None
            send = _Send(row, await engine._payout(row), 1)
            outcomes = await engine._send_payouts([send, send])
            assert [outcome for outcome, _ in outcomes] == [SENT, LOST]
            assert (await engine.run(row.id, 30)).status == "confirmed"
            assert int(rpc("eth_getTransactionCount", owner.address, "pending", url=node), 16) == 1
            assert int(rpc("eth_getBalance", receiver, "latest", url=node), 16) == 10**15
        finally:
            async with pool.acquire() as conn:
                await conn.execute("DELETE FROM nonces WHERE chain_id = $1", CHAIN_ID)
            await pool.close()
            await chain.close()


async def test_rows_and_the_next_nonce_are_recorded_together_or_not_at_all(
    db: asyncpg.Connection,
) -> None:
    """`record_batch` writes the batch only when every row is still at its payout and the first
    nonce is the one to sign with; otherwise nothing, and the engine claims the rows instead."""
    signer = Account.create().address
    chain_id = 31_340  # no app works on it: these rows and this nonce are the test's own
    rows = []
    for n in range(3):
        entry = NewEntry("top_up", f"batch-{signer}-{n}", "h", None, 10**9 + n, signer,
                         Account.create().address, 1)  # fmt: skip
        row = await ledger.insert(db, entry, chain_id)
        assert row is not None
        rows.append(row)
    signed = [(row.id, SignedTx(f"0x{n:064x}", bytes([n]))) for n, row in enumerate(rows)]

    async def record(chain_nonce: int, first: int, pairs: list[Any]) -> Any:
        return await ledger.record_batch(db, "payout", chain_id, signer, chain_nonce, first, pairs)

    async def next_nonce() -> Any:
        sql = "SELECT next_nonce FROM nonces WHERE chain_id = $1 AND address = $2"
        return await db.fetchval(sql, chain_id, signer)

    try:
        assert await record(5, 4, signed[:2]) is None  # the node counts 5: 4 is not the nonce
        assert await next_nonce() is None
        recorded = await record(5, 5, signed[:2])
        assert recorded is not None and set(recorded) == {rows[0].id, rows[1].id}
        assert {row.step for row in recorded.values()} == {"payout_sent"}
        assert await next_nonce() == 7
        # rows[1] is no longer at its payout: a batch with it records nothing, not even rows[2].
        assert await record(0, 7, signed[1:]) is None
        untouched = await ledger.get(db, rows[2].id)
        assert untouched is not None and untouched.step == "payout"
        assert await record(0, 6, signed[2:]) is None  # the stored next nonce is 7
        assert await record(0, 7, signed[2:]) is not None
        assert await next_nonce() == 8
    finally:  # the rows stay, on a chain id no app works on (the ledger only grows)
        await db.execute("DELETE FROM nonces WHERE chain_id = $1", chain_id)

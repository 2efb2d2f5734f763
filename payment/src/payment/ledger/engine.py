"""Moves ledger rows forward, one transaction at a time, safely under concurrency and crashes.

A row's life: ``deposit`` (transfers, withdrawals: the sender's wallet pays the contract) →
``deposit_sent`` → ``payout`` (the owner has the contract pay the receiver; top-ups and gas
grants start here) → ``payout_sent`` → ``done``. A transfer or withdrawal that fails after
its deposit was mined gets a ``refund`` row (``refund_of`` = its id) that pays the amount back
from the pool to the sender's wallet. Rules that make it lose nothing and send nothing twice:

- a transaction is signed and stored (hash and raw bytes) in the row before it is broadcast,
  while the signer's advisory lock is held, so nonces never collide across replicas;
- every state change is a compare-and-set on ``step``: of two workers only one wins;
- a stored transaction is only ever re-broadcast with the same bytes (same hash, same nonce).
"""

import asyncio
import logging
import time
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from typing import Any

import asyncpg
from eth_account.signers.local import LocalAccount
from eth_account.typed_transactions.typed_transaction import TypedTransaction
from hexbytes import HexBytes
from prometheus_client import Counter, Gauge

from payment import events, outbox
from payment.chain.client import DEPOSIT_GAS, PAYOUT_GAS, TRANSFER_GAS, Chain, Fees, Rejected
from payment.chain.errors import ChainUnavailable
from payment.crypto import KeyBox
from payment.db import ACCOUNT_LOCK, Connection, advisory_lock
from payment.ledger import repository as ledger
from payment.ledger.repository import NewEntry, Row
from payment.wallets import repository as wallets

log = logging.getLogger(__name__)

INSUFFICIENT = "Insufficient funds"
POOL_SHORT = "Insufficient funds: the contract pool cannot cover the amount"
MAX_POLL = 0.5
# Signing attempts when the node says another transaction took the nonce.
NONCE_ATTEMPTS = 3
NONCE_CLASH = ("nonce", "replacement transaction underpriced")
NEXT_STEP = {"deposit_sent": "payout", "payout_sent": "done"}
# Movements whose sender deposits first: a payout failure after that deposit is refunded.
REFUNDABLE = ("transfer", "withdrawal")
OWNER_BALANCE = Gauge("fiufit_payment_owner_balance_eth", "ETH the contract owner holds")
OWNER_LOW = Counter(
    "fiufit_payment_owner_balance_low_total",
    "Checks that found the owner's balance below PAYMENT_OWNER_BALANCE_ALERT",
)


class _Lost(Exception):
    """Another worker moved the row first; the transaction block rolls back."""


def _no_relay() -> None:
    """What `Engine.notify` does when no outbox relay runs in the process."""


@dataclass
class Engine:
    pool: asyncpg.Pool
    chain: Chain
    keys: KeyBox
    owner: LocalAccount
    confirmations: int = 1
    receipt_poll: float = 0.01
    rebroadcast_after: float = 30.0
    # Below this many wei of owner balance, every check logs, counts and alerts.
    owner_alert_wei: int = 0
    # Wakes the outbox relay (`OutboxRelay.notify`); called after each commit that wrote events.
    notify: Callable[[], None] = _no_relay
    # Fault injection for the crash tests: called with the step name before a broadcast.
    before_broadcast: Callable[[str], None] | None = None
    _owner_low: bool = False

    async def watch_owner(self) -> int:
        """The owner's balance, published as a gauge; below the alert threshold a structured
        warning and a counter each time, and an outbox event when it first drops below."""
        wei = await self.chain.balance(self.owner.address)
        OWNER_BALANCE.set(wei / 10**18)
        low = wei < self.owner_alert_wei
        if low:
            OWNER_LOW.inc()
            fields = {
                "alert": "owner_balance_low",
                "owner": self.owner.address,
                "balance_wei": str(wei),
                "threshold_wei": str(self.owner_alert_wei),
            }
            log.warning("owner balance is below the alert threshold", extra={"fields": fields})
            if not self._owner_low:
                async with self.pool.acquire() as conn:
                    await outbox.enqueue(
                        conn, events.SOURCE, events.PAYMENT_OWNER_BALANCE_LOW_COUNT
                    )
                self.notify()
        self._owner_low = low
        return wei

    async def run(self, entry_id: int, wait: float) -> Row:
        """Drive the row until it is finished or ``wait`` seconds have passed."""
        deadline = time.monotonic() + wait
        delay, last_step = self.receipt_poll, ""
        while True:
            row = await self.step(entry_id)
            if row.finished or time.monotonic() >= deadline:
                return row
            # Poll fast right after a broadcast, then back off: many waiting requests must not
            # starve the ones holding an account lock.
            delay = self.receipt_poll if row.step != last_step else min(delay * 2, MAX_POLL)
            last_step = row.step
            await asyncio.sleep(delay)

    async def step(self, entry_id: int, rebroadcast: bool = False) -> Row:
        """Advance the row as far as possible without waiting; returns it afterwards."""
        while True:
            row = await self._get(entry_id)
            if row.finished:
                return row
            if row.step in ("deposit", "payout"):
                await self._submit(row)
            elif not await self._check_receipt(row, rebroadcast):
                return await self._get(entry_id)

    async def _get(self, entry_id: int) -> Row:
        async with self.pool.acquire() as conn:
            row = await ledger.get(conn, entry_id)
        assert row is not None, f"ledger row {entry_id} vanished"
        return row

    async def _signer(self, row: Row) -> LocalAccount:
        if row.step == "payout":
            return self.owner
        async with self.pool.acquire() as conn:
            wallet = await wallets.get_by_address(conn, row.sender_address)
        assert wallet is not None, f"no wallet for {row.sender_address}"
        return self.chain.account(self.keys.open(wallet.sealed_key))

    async def _payout(self, row: Row) -> dict[str, Any]:
        """The owner's unsigned payout (checked before taking the owner's lock: it is the
        lock every movement shares, so it is held only to pick the nonce, sign and send)."""
        if row.kind == "gas_grant":
            return {"to": row.receiver_address, "value": row.amount_wei, "gas": TRANSFER_GAS}
        data = self.chain.send_payment_data(row.receiver_address, row.amount_wei)
        tx = {"to": self.chain.contract_address, "data": data, "value": 0, "gas": PAYOUT_GAS}
        if row.kind == "top_up":
            # Deposits awaiting their payout (and refunds) are the senders' money in the pool:
            # a top-up may only spend the rest.
            async with self.pool.acquire() as conn:
                reserved = await ledger.reserved_in_pool(conn, row.id)
            if await self.chain.pool_balance() - reserved < row.amount_wei:
                raise Rejected(POOL_SHORT)
        # Every payout, a withdrawal's too, has the fixed PAYOUT_GAS ceiling: withdrawals to
        # addresses with code are refused up front, and one that gains code later (CREATE2)
        # can burn no more than that; its payout then fails and the sender is refunded.
        return tx

    async def _deposit(
        self, conn: Connection, row: Row, signer: LocalAccount, fees: Fees
    ) -> dict[str, Any]:
        """The sender's unsigned deposit, checked under the sender's lock against the funds
        available: the mined balance minus what the wallet's own signed but unmined deposits
        will take (value + gas at their fee cap). On a chain with real block times two
        payments would otherwise both be signed, and the one that cannot pay never mines,
        leaving a nonce gap that blocks the wallet for good."""
        balance = await self.chain.balance(signer.address)
        available = balance - await self._in_flight(conn, row, signer.address)
        # Gas grants are never money: the granted wei stay in the wallet as a float that pays
        # deposit gas, so only what the wallet holds beyond them can be sent.
        reserve = await ledger.granted(conn, signer.address)
        if available < row.amount_wei + max(DEPOSIT_GAS * fees.max_fee, reserve):
            raise Rejected(INSUFFICIENT)
        return {**self.chain.deposit_call(), "value": row.amount_wei}

    async def _in_flight(self, conn: Connection, row: Row, address: str) -> int:
        """Wei the wallet's broadcast, not yet mined transactions can still take."""
        mined = await self.chain.mined_nonce(address)
        total = 0
        for raw in await ledger.unmined_deposits(conn, address, row.id):
            tx = TypedTransaction.from_bytes(HexBytes(raw)).as_dict()
            if int(tx["nonce"]) >= mined:  # a lower nonce is mined: the balance shows it
                total += int(tx["value"]) + int(tx["gas"]) * int(tx["maxFeePerGas"])
        return total

    async def _submit(self, row: Row) -> None:
        with suppress(_Lost):
            await self._sign_and_send(row)

    async def _sign_and_send(self, row: Row) -> None:
        signer = await self._signer(row)
        fees = await self.chain.fees()
        try:
            tx = await self._payout(row) if row.step == "payout" else None
        except Rejected as error:
            async with self.pool.acquire() as conn:
                await self._fail(conn, row, str(error))
            return
        async with self.pool.acquire() as conn, advisory_lock(conn, ACCOUNT_LOCK, signer.address):
            # No re-read of the row: if another worker already moved it, mark_sent's
            # compare-and-set fails and the transaction (nonce included) rolls back unsent.
            if tx is None:
                try:
                    tx = await self._deposit(conn, row, signer, fees)
                except Rejected as error:
                    await self._fail(conn, row, str(error))
                    return
            for attempt in range(1, NONCE_ATTEMPTS + 1):
                if await self._send_once(conn, row, signer, {**tx, **fees.fields()}, attempt):
                    return

    async def _send_once(
        self, conn: Connection, row: Row, signer: LocalAccount, tx: dict[str, Any], attempt: int
    ) -> bool:
        """Sign with the next nonce, record, broadcast. False when the node refused the nonce
        (another sender used the account meanwhile) and the row went back for another try."""
        chain_id = await self.chain.chain_id()
        chain_nonce = await self.chain.pending_nonce(signer.address)
        async with conn.transaction():
            nonce = await ledger.take_nonce(conn, chain_id, signer.address, chain_nonce)
            signed = await self.chain.sign(signer, {**tx, "nonce": nonce})
            sent = (signed.tx_hash, signed.raw, chain_id)
            if not await ledger.mark_sent(conn, row.id, row.step, *sent):
                raise _Lost()
        if self.before_broadcast is not None:
            self.before_broadcast(row.step)
        try:
            await self.chain.broadcast(signed.raw)
        except Rejected as error:
            # Not in any mempool, so it can never land: the nonce is free again, and the row
            # either goes back to be signed anew (a nonce clash) or fails.
            clash = any(sign in str(error).lower() for sign in NONCE_CLASH)
            retry = clash and attempt < NONCE_ATTEMPTS
            failed = False
            async with conn.transaction():
                await ledger.set_next_nonce(conn, chain_id, signer.address, nonce)
                if retry:
                    await ledger.unsend(conn, row.id, row.step, row.status)
                else:
                    failed = await self._mark_failed(conn, row, str(error), f"{row.step}_sent")
            if failed:
                self.notify()
            return not retry
        except ChainUnavailable:
            log.warning("ledger %s: broadcast failed, the tracker will retry", row.id)
        return True

    async def _check_receipt(self, row: Row, rebroadcast: bool) -> bool:
        """True when the row moved on (mined), False when its transaction is still pending."""
        stage = row.step.removesuffix("_sent")
        tx_hash = row.deposit_tx_hash if stage == "deposit" else row.payout_tx_hash
        raw = row.deposit_raw_tx if stage == "deposit" else row.payout_raw_tx
        assert tx_hash is not None and raw is not None
        receipt = await self.chain.receipt(tx_hash, self.confirmations)
        async with self.pool.acquire() as conn:
            if receipt is None:
                age = time.time() - (row.submitted_at.timestamp() if row.submitted_at else 0)
                if rebroadcast or age > self.rebroadcast_after:
                    await self._rebroadcast(conn, row, raw)
                return False
            if not receipt.succeeded:
                await self._fail(conn, row, f"{stage} transaction {tx_hash} reverted")
                return True
            to = NEXT_STEP[row.step]
            async with conn.transaction():
                confirmed = await ledger.advance(conn, row.id, row.step, to) and to == "done"
                if confirmed:
                    await outbox.enqueue(
                        conn, events.SOURCE, events.PAYMENT_CONFIRMED_COUNT, row.kind
                    )
            if confirmed:
                self.notify()
            return True

    async def _rebroadcast(self, conn: Connection, row: Row, raw: bytes) -> None:
        log.info("ledger %s: broadcasting its %s transaction again", row.id, row.step)
        try:
            await self.chain.broadcast(raw)
        except Rejected as error:
            # "nonce too low" means it (or nothing else, as the nonce was ours) was mined.
            log.warning("ledger %s: re-broadcast refused: %s", row.id, error)
        await ledger.mark_resent(conn, row.id)

    async def _fail(self, conn: Connection, row: Row, reason: str) -> None:
        """Fails the row in a transaction of its own, then wakes the relay for its event."""
        async with conn.transaction():
            failed = await self._mark_failed(conn, row, reason)
        if failed:
            self.notify()

    async def _mark_failed(
        self, conn: Connection, row: Row, reason: str, step: str | None = None
    ) -> bool:
        """In the caller's transaction: the row fails at ``step`` (default: its own), with its
        event. False when another worker moved the row first. The caller wakes the relay once
        the transaction is committed."""
        at = step or row.step
        # The deposit was mined (the row reached its payout): the sender's money is in the
        # pool, so the failure comes with a refund row that pays it back, in one transaction.
        refund = row.kind in REFUNDABLE and at in ("payout", "payout_sent")
        failed = await ledger.fail(conn, row.id, at, reason)
        if failed:
            await outbox.enqueue(conn, events.SOURCE, events.PAYMENT_FAILED_COUNT, row.kind)
            if refund:
                await ledger.insert(conn, self._refund(row), row.chain_id)
        log.info("ledger %s failed: %s%s", row.id, reason, " (refund queued)" if refund else "")
        return failed

    def _refund(self, row: Row) -> NewEntry:
        return NewEntry(
            kind="refund",
            idempotency_key=f"refund:{row.id}",
            request_hash="refund",
            sender_id=None,
            receiver_id=row.sender_id,
            sender_address=self.chain.contract_address,
            receiver_address=row.sender_address,
            amount_wei=row.amount_wei,
            refund_of=row.id,
        )

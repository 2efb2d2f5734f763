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

Every payout is the owner's, so payouts serialise on the owner's lock; they go in batches
(`Batches`): the payouts that wait while one batch is under way are claimed, signed with
consecutive nonces and recorded in one transaction, under one hold of the lock, then
broadcast in nonce order. The rules above hold for each row of a batch.
"""

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import asyncpg
from eth_account.signers.local import LocalAccount
from eth_account.typed_transactions.typed_transaction import TypedTransaction
from hexbytes import HexBytes
from prometheus_client import Counter, Gauge

from payment import events, outbox
from payment.chain.client import (
    DEPOSIT_GAS,
    PAYOUT_GAS,
    TRANSFER_GAS,
    Chain,
    Fees,
    Rejected,
    SignedTx,
)
from payment.chain.errors import ChainUnavailable
from payment.crypto import KeyBox
from payment.db import ACCOUNT_LOCK, Connection, locked
from payment.ledger import repository as ledger
from payment.ledger.batches import Batches
from payment.ledger.repository import NewEntry, Row, SigningState

log = logging.getLogger(__name__)

INSUFFICIENT = "Insufficient funds"
POOL_SHORT = "Insufficient funds: the contract pool cannot cover the amount"
MAX_POLL = 0.5
# Signing attempts when the node says another transaction took the nonce.
NONCE_ATTEMPTS = 3
NONCE_CLASH = ("nonce", "replacement transaction underpriced")
NEXT_STEP = {"deposit_sent": "payout", "payout_sent": "done"}
# The owner's payouts signed in one batch, at most: one lock, one nonce read, one transaction.
PAYOUT_BATCH = 50
# What became of one transaction of a batch (`Engine._sign_and_send`).
SENT, CLASHED, UNSENT, FAILED, LOST = "sent", "clashed", "unsent", "failed", "lost"
# Movements whose sender deposits first: a payout failure after that deposit is refunded.
REFUNDABLE = ("transfer", "withdrawal")
OWNER_BALANCE = Gauge("fiufit_payment_owner_balance_eth", "ETH the contract owner holds")
OWNER_LOW = Counter(
    "fiufit_payment_owner_balance_low_total",
    "Checks that found the owner's balance below PAYMENT_OWNER_BALANCE_ALERT",
)


# One transaction's outcome, with its row as recorded when it was SENT.
_Result = tuple[str, Row | None]


@dataclass(frozen=True)
class _Send:
    """A row's next transaction, unsigned (no nonce yet), and its signing attempt."""

    row: Row
    tx: dict[str, Any]
    attempt: int


async def _together(*calls: Awaitable[Any]) -> list[Any]:
    """The calls' results, awaited at once. Every call ends before the first failure is
    raised: a query still running on the connection would break the next one."""
    results = await asyncio.gather(*calls, return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return results


def _clash(error: Exception) -> bool:
    """The node's refusal says another transaction has the nonce."""
    return any(sign in str(error).lower() for sign in NONCE_CLASH)


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
    # By chain id: the owner's next nonce as this process last stored it (`_send_payouts`).
    _owner_nonce: dict[int, int] = field(default_factory=dict)
    _payouts: Batches[_Send, _Result] = field(init=False)

    def __post_init__(self) -> None:
        self._payouts = Batches(self._send_payouts, PAYOUT_BATCH)

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

    async def run(self, entry_id: int, wait: float, row: Row | None = None) -> Row:
        """Drive the row until it is finished or ``wait`` seconds have passed; ``row`` is the
        row as the caller just read it (else it is read first). Between polls the row is
        the one the last step returned: every change is a compare-and-set, so a row another
        worker moved meanwhile is only read again."""
        deadline = time.monotonic() + wait
        delay, last_step = self.receipt_poll, ""
        while True:
            row = await self.step(entry_id, row=row)
            if row.finished or time.monotonic() >= deadline:
                return row
            # Poll fast right after a broadcast, then back off: many waiting requests must not
            # starve the ones holding an account lock.
            delay = self.receipt_poll if row.step != last_step else min(delay * 2, MAX_POLL)
            last_step = row.step
            await asyncio.sleep(delay)

    async def step(self, entry_id: int, rebroadcast: bool = False, row: Row | None = None) -> Row:
        """Advance the row as far as possible without waiting; returns it afterwards. ``row``
        is the row as last seen, if the caller has it (else it is read)."""
        if row is None:
            row = await self._get(entry_id)
        while not row.finished:
            if row.step in ("deposit", "payout"):
                row = await self._submit(row) or await self._get(entry_id)
            else:
                moved, row = await self._check_receipt(row, rebroadcast)
                if not moved:
                    return row  # still pending
        return row

    async def _get(self, entry_id: int) -> Row:
        async with self.pool.acquire() as conn:
            row = await ledger.get(conn, entry_id)
        assert row is not None, f"ledger row {entry_id} vanished"
        return row

    async def _payout(self, row: Row) -> dict[str, Any]:
        """The owner's unsigned payout (checked before taking the owner's lock: it is the
        lock every movement shares, so it is held only to pick the nonces, sign and send)."""
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

    async def _check_funds(self, row: Row, balance: int, signing: SigningState, fees: Fees) -> None:
        """Checks the sender's deposit, under the sender's lock, against the funds available:
        the mined balance minus what the wallet's own signed but unmined deposits will take
        (value + gas at their fee cap). On a chain with real block times two payments would
        otherwise both be signed, and the one that cannot pay never mines, leaving a nonce gap
        that blocks the wallet for good."""
        available = balance - await self._in_flight(row.sender_address, signing.unmined)
        # Gas grants are never money: the granted wei stay in the wallet as a float that pays
        # deposit gas, so only what the wallet holds beyond them can be sent.
        if available < row.amount_wei + max(DEPOSIT_GAS * fees.max_fee, signing.granted):
            raise Rejected(INSUFFICIENT)

    async def _in_flight(self, address: str, unmined: list[bytes]) -> int:
        """Wei the wallet's broadcast, not yet mined transactions can still take."""
        if not unmined:  # the common case: no need to ask the node
            return 0
        mined = await self.chain.mined_nonce(address)
        total = 0
        for raw in unmined:
            tx = TypedTransaction.from_bytes(HexBytes(raw)).as_dict()
            if int(tx["nonce"]) >= mined:  # a lower nonce is mined: the balance shows it
                total += int(tx["value"]) + int(tx["gas"]) * int(tx["maxFeePerGas"])
        return total

    async def _submit(self, row: Row) -> Row | None:
        """Signs and sends the row's next transaction, unless another worker moved it first
        (then nothing is signed for it); the row as recorded with it, or None when the caller
        must read the row again (it failed, or another worker moved it)."""
        if row.step == "payout":
            return await self._pay_out(row)
        return await self._deposit_for(row)

    async def _deposit_for(self, row: Row) -> Row | None:
        """The sender's deposit: checked, signed, recorded and sent under the sender's lock.
        What the check and the signature need is asked of the node and of the ledger at once;
        the row and the wallet's next nonce are recorded in one statement."""
        address, fees = row.sender_address, await self.chain.fees()
        chain_id = await self.chain.chain_id()
        async with locked(self.pool, ACCOUNT_LOCK, address) as conn:
            balance, chain_nonce, signing = await _together(
                self.chain.balance(address),
                self.chain.pending_nonce(address),
                ledger.signing_state(conn, address, row.id, chain_id),
            )
            try:
                await self._check_funds(row, balance, signing, fees)
            except Rejected as error:
                await self._fail(conn, row, str(error))
                return None
            signer = self.chain.account(self.keys.open(signing.sealed_key))
            tx = {**self.chain.deposit_call(), "value": row.amount_wei, **fees.fields()}
            nonce = max(signing.next_nonce, chain_nonce)
            for attempt in range(1, NONCE_ATTEMPTS + 1):
                signed = await self.chain.sign(signer, {**tx, "nonce": nonce})
                # No re-read of the row: if another worker moved it, nothing is recorded and
                # the nonce stays free.
                recorded = await ledger.record_signed(
                    conn, row.id, "deposit", chain_id, signed, address, nonce + 1
                )
                if recorded is None:
                    return None
                send = _Send(row, tx, attempt)
                [(outcome, sent)] = await self._broadcast(
                    conn, chain_id, signer, nonce, [(send, signed, recorded)]
                )
                if outcome != CLASHED:
                    return sent
                nonce = max(nonce, await self.chain.pending_nonce(address))
        return None  # not reached: a clash on the last attempt fails the row

    async def _pay_out(self, row: Row) -> Row | None:
        """The owner's payout, sent in the next batch of the owner's payouts (`_payouts`)."""
        try:
            tx = await self._payout(row)
        except Rejected as error:
            async with self.pool.acquire() as conn:
                await self._fail(conn, row, str(error))
            return None
        attempt = 1
        while True:
            outcome, sent = await self._payouts.submit(_Send(row, tx, attempt))
            if outcome == CLASHED:
                attempt += 1
            elif outcome != UNSENT:  # sent, failed, or moved by another worker
                return sent

    async def _send_payouts(self, batch: list[_Send]) -> list[_Result]:
        """One batch of the owner's payouts, under one hold of the owner's lock: the rows
        still at their payout (the others are LOST) are signed with consecutive nonces and
        recorded in one statement, then broadcast at once, in nonce order."""
        fees = await self.chain.fees()
        owner, chain_id = self.owner.address, await self.chain.chain_id()
        # The node's count is read while the lock is awaited: read before the lock it is as
        # good as under it, as the stored nonce covers every transaction signed here and
        # another sender's may come at any moment (the node's refusal then tells of it).
        chain_nonce = asyncio.ensure_future(self.chain.pending_nonce(owner))
        results: list[_Result] = [(LOST, None)] * len(batch)
        # A row submitted twice (by a request and by the tracker) is signed once: the first
        # copy; the other is LOST (its caller reads the row again).
        live = sorted({send.row.id: n for n, send in reversed(list(enumerate(batch)))}.values())
        try:
            async with locked(self.pool, ACCOUNT_LOCK, owner) as conn:
                node_nonce = await chain_nonce

                async def signed_from(first: int) -> list[SignedTx]:
                    return [
                        await self.chain.sign(
                            self.owner, {**batch[n].tx, **fees.fields(), "nonce": first + k}
                        )
                        for k, n in enumerate(live)
                    ]

                # The stored nonce as this process last left it: if it still is (no other
                # replica signed since), the rows and the nonce are recorded in one statement.
                first = max(self._owner_nonce.get(chain_id, 0), node_nonce)
                signed = await signed_from(first)
                ids = [batch[n].row.id for n in live]
                pairs = list(zip(ids, signed, strict=True))
                recorded = await ledger.record_batch(
                    conn, "payout", chain_id, owner, node_nonce, first, pairs
                )
                if recorded is None:  # another worker moved a row, or another replica signed
                    async with conn.transaction():
                        claimed = await ledger.claim(conn, ids, "payout")
                        live = [n for n in live if batch[n].row.id in claimed]
                        if not live:
                            return results
                        first = await ledger.take_nonces(
                            conn, chain_id, owner, node_nonce, len(live)
                        )
                        signed = await signed_from(first)
                        recorded = await ledger.mark_sent(
                            conn,
                            "payout",
                            chain_id,
                            [(batch[n].row.id, tx) for n, tx in zip(live, signed, strict=True)],
                        )
                self._owner_nonce[chain_id] = first + len(live)
                sent = [
                    (batch[n], tx, recorded[batch[n].row.id])
                    for n, tx in zip(live, signed, strict=True)
                ]
                outcomes = await self._broadcast(conn, chain_id, self.owner, first, sent)
        finally:
            if not chain_nonce.cancel() and not chain_nonce.cancelled():
                chain_nonce.exception()  # retrieved: a read the block never awaited is no error
        for n, outcome in zip(live, outcomes, strict=True):
            results[n] = outcome
        return results

    async def _broadcast(
        self,
        conn: Connection,
        chain_id: int,
        signer: LocalAccount,
        first: int,
        sent: list[tuple[_Send, SignedTx, Row]],
    ) -> list[_Result]:
        """Under the signer's lock: broadcasts recorded transactions in nonce order (``first``,
        ``first + 1``, ...), each run of equal ones (same value and gas: a node takes all or
        none of them for any reason but their nonces) at once, in one round trip
        (`Chain.broadcast_all`). A SENT row comes with the row as recorded; so does one whose
        answer was lost (the node could not be reached): it stays recorded, and the tracker
        broadcasts the same bytes again. The first refusal ends it: the refused row is signed
        again (CLASHED: another sender took the nonce) or fails, the later rows of its run that
        the node refused too and the runs after it go back to be signed anew (UNSENT), and a
        later row of its run that the node took is SENT all the same (it is in the pool: its
        stored bytes are the only ones ever sent for it)."""
        results: list[_Result] = []
        while sent:
            shape = (sent[0][0].tx.get("value"), sent[0][0].tx.get("gas"))
            size = next(
                (k for k, (send, _, _) in enumerate(sent)
                 if (send.tx.get("value"), send.tx.get("gas")) != shape),
                len(sent),
            )  # fmt: skip
            run, sent = sent[:size], sent[size:]
            if self.before_broadcast is not None:
                for send, _, _ in run:
                    self.before_broadcast(send.row.step)
            try:
                answers = await self.chain.broadcast_all([signed.raw for _, signed, _ in run])
            except ChainUnavailable:
                log.warning("ledger %s: broadcast failed, the tracker will retry", run[0][0].row.id)
                return results + [(SENT, row) for _, _, row in run + sent]
            refused = [(k, error) for k, error in enumerate(answers) if error is not None]
            if not refused:
                results += [(SENT, row) for _, _, row in run]
                first += size
                continue
            (head, error), later = refused[0], [k for k, _ in refused[1:]]
            # The nonces from the refused one on are free again, but for the node's later ones
            # of this run: no nonce below one of ours in the pool is signed again (that could
            # replace it).
            taken = [k for k, answer in enumerate(answers) if answer is None and k > head]
            free_from = taken[-1] + 1 if taken else head
            if any(not _clash(refusal) for k, refusal in refused if k < free_from):
                log.error("ledger %s: a refused nonce below accepted ones", run[head][0].row.id)
            outcome = await self._refused(
                conn,
                chain_id,
                signer,
                first + free_from,
                run[head][0],
                [run[k][0] for k in later] + [send for send, _, _ in sent],
                error,
            )
            results += [
                (SENT, row) if answer is None else (outcome if k == head else UNSENT, None)
                for k, (answer, (_, _, row)) in enumerate(zip(answers, run, strict=True))
            ]
            return results + [(UNSENT, None)] * len(sent)
        return results

    async def _refused(
        self,
        conn: Connection,
        chain_id: int,
        signer: LocalAccount,
        next_nonce: int,
        head: _Send,
        later: list[_Send],
        error: Rejected,
    ) -> str:
        """The node refused ``head``, then ``later`` (none of them is in any mempool, so none
        can ever land): the signer's next nonce is ``next_nonce`` again and their rows go back
        to their step, except ``head`` when it was no nonce clash or its last try (it fails).
        CLASHED when ``head`` is to be signed again, else FAILED."""
        retry = _clash(error) and head.attempt < NONCE_ATTEMPTS
        failed = False
        async with conn.transaction():
            await ledger.set_next_nonce(conn, chain_id, signer.address, next_nonce)
            if signer.address == self.owner.address:
                self._owner_nonce[chain_id] = next_nonce
            for send in [head, *later] if retry else later:
                await ledger.unsend(conn, send.row.id, send.row.step, send.row.status)
            if not retry:
                failed = await self._mark_failed(
                    conn, head.row, str(error), f"{head.row.step}_sent"
                )
        if failed:
            self.notify()
        return CLASHED if retry else FAILED

    async def _check_receipt(self, row: Row, rebroadcast: bool) -> tuple[bool, Row]:
        """Whether the row moved on (its transaction mined), and the row as it is now (while
        it is pending: as it was, or as re-broadcast)."""
        stage = row.step.removesuffix("_sent")
        tx_hash = row.deposit_tx_hash if stage == "deposit" else row.payout_tx_hash
        raw = row.deposit_raw_tx if stage == "deposit" else row.payout_raw_tx
        assert tx_hash is not None and raw is not None
        receipt = await self.chain.receipt(tx_hash, self.confirmations)
        async with self.pool.acquire() as conn:
            if receipt is None:
                age = time.time() - (row.submitted_at.timestamp() if row.submitted_at else 0)
                if rebroadcast or age > self.rebroadcast_after:
                    return False, await self._rebroadcast(conn, row, raw)
                return False, row
            to = NEXT_STEP[row.step]
            if not receipt.succeeded:
                await self._fail(conn, row, f"{stage} transaction {tx_hash} reverted")
                moved = None
            elif to != "done":
                moved = await ledger.advance(conn, row.id, row.step, to)
            else:  # the row and its event in one statement
                event = outbox.event(events.SOURCE, events.PAYMENT_CONFIRMED_COUNT, row.kind)
                moved = await ledger.confirm(conn, row.id, row.step, event)
                if moved is not None:
                    self.notify()
            if moved is None:  # failed, or moved by another worker first: as it is now
                moved = await ledger.get(conn, row.id)
                assert moved is not None, f"ledger row {row.id} vanished"
            return True, moved

    async def _rebroadcast(self, conn: Connection, row: Row, raw: bytes) -> Row:
        """Broadcasts the stored bytes again; the row with its new ``submitted_at``."""
        log.info("ledger %s: broadcasting its %s transaction again", row.id, row.step)
        try:
            await self.chain.broadcast(raw)
        except Rejected as error:
            # "nonce too low" means it (or nothing else, as the nonce was ours) was mined.
            log.warning("ledger %s: re-broadcast refused: %s", row.id, error)
        return await ledger.mark_resent(conn, row.id) or row

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

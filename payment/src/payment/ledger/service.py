"""Money movements: validation, idempotency, then the engine does the chain work."""

import hashlib
import json
from collections.abc import Awaitable, Callable
from contextlib import suppress
from dataclasses import dataclass
from decimal import Decimal

from litestar.exceptions import ClientException, NotFoundException, TooManyRequestsException
from web3 import Web3

from payment.amounts import format_eth, to_wei
from payment.chain.errors import ChainUnavailable
from payment.db import WITHDRAWAL_LOCK, Connection, connection
from payment.errors import Conflict
from payment.ledger import repository as ledger
from payment.ledger.engine import INSUFFICIENT, REFUNDABLE, Engine
from payment.ledger.repository import NewEntry, Row
from payment.wallets import repository as wallets
from payment.wallets.repository import WalletRow


@dataclass(frozen=True)
class Outcome:
    row: Row
    replayed: bool

    @property
    def insufficient_funds(self) -> bool:
        reason = self.row.failure_reason or ""
        return self.row.status == "failed" and reason.startswith(INSUFFICIENT)


def request_hash(**fields: object) -> str:
    return hashlib.sha256(json.dumps(fields, sort_keys=True, default=str).encode()).hexdigest()


def checksum_address(address: str) -> str:
    if not Web3.is_address(address):
        raise ClientException("address is not a valid Ethereum address")
    return str(Web3.to_checksum_address(address))


@dataclass(frozen=True)
class Limits:
    min_withdrawal_wei: int = 10**15
    withdrawals_per_hour: int = 10


class Movements:
    def __init__(
        self, engine: Engine, max_amount: Decimal, wait: float, limits: Limits | None = None
    ) -> None:
        self.engine, self.pool, self.chain = engine, engine.pool, engine.chain
        self.max_amount = max_amount
        self.wait = wait
        self.limits = limits or Limits()

    def _wei(self, amount: Decimal) -> int:
        if amount > self.max_amount:
            raise ClientException(f"amount exceeds the maximum of {self.max_amount} ETH")
        return to_wei(amount)

    async def _wallet(self, conn: Connection, user_id: int) -> WalletRow:
        wallet = await wallets.get(conn, user_id)
        if wallet is None:
            raise NotFoundException(f"Non existent wallet for user {user_id}")
        return wallet

    async def transfer(
        self, key: str, sender_id: int, receiver_id: int, amount: Decimal
    ) -> Outcome:
        if sender_id == receiver_id:
            raise ClientException("sender and receiver must be different users")
        wei = self._wei(amount)
        async with connection(self.pool) as conn:
            sender = await self._wallet(conn, sender_id)
            receiver = await self._wallet(conn, receiver_id)
        digest = request_hash(sender_id=sender_id, receiver_id=receiver_id, wei=wei)
        entry = NewEntry(
            "transfer", key, digest, sender_id, receiver_id, sender.address, receiver.address, wei
        )
        return await self.execute(entry)

    async def withdraw(self, key: str, user_id: int, address: str, amount: Decimal) -> Outcome:
        target = checksum_address(address)
        if target == self.chain.contract_address:
            raise ClientException("address is the payment contract itself")
        wei = self._wei(amount)
        if wei < self.limits.min_withdrawal_wei:
            minimum = format_eth(self.limits.min_withdrawal_wei)
            raise ClientException(f"amount is below the minimum withdrawal of {minimum} ETH")
        async with connection(self.pool) as conn:
            sender = await self._wallet(conn, user_id)
        digest = request_hash(user_id=user_id, address=target, wei=wei)
        entry = NewEntry("withdrawal", key, digest, user_id, None, sender.address, target, wei)

        async def plain_account() -> None:
            # A contract's receive() could burn the owner's payout gas (or refuse the money).
            if await self.chain.has_code(target):
                raise ClientException(
                    "address is a contract: withdrawals go to plain accounts only"
                )

        return await self.execute(entry, before_insert=plain_account)

    async def top_up(self, key: str, user_id: int, amount: Decimal) -> Outcome:
        wei = self._wei(amount)
        async with connection(self.pool) as conn:
            receiver = await self._wallet(conn, user_id)
        digest = request_hash(user_id=user_id, wei=wei)
        entry = NewEntry(
            "top_up", key, digest, None, user_id, self.chain.contract_address, receiver.address, wei
        )
        return await self.execute(entry)

    async def execute(
        self, entry: NewEntry, before_insert: Callable[[], Awaitable[None]] | None = None
    ) -> Outcome:
        """Insert the row (or find the one with this key) and drive it; a replay never sends
        anything new, it only waits for the first request's row. ``before_insert`` checks a
        new request only (a replay answers with the first request's row)."""
        async with connection(self.pool) as conn:
            row = await ledger.get_by_key(conn, entry.kind, entry.key_owner, entry.idempotency_key)
        replayed = row is not None
        if row is None:
            await self.chain.block_number()  # 503 before anything is recorded if the node is down
            if before_insert is not None:
                await before_insert()
            chain_id = await self.chain.chain_id()
            async with connection(self.pool) as conn, conn.transaction():
                if entry.kind == "withdrawal":
                    row = await self._within_rate(conn, entry)
                    replayed = row is not None
                if row is None:
                    row = await ledger.insert(conn, entry, chain_id)
                    if row is None:  # a concurrent request with the same key won the insert
                        replayed = True
                        row = await ledger.get_by_key(
                            conn, entry.kind, entry.key_owner, entry.idempotency_key
                        )
        assert row is not None
        if row.request_hash != entry.request_hash:
            raise Conflict("Idempotency-Key was already used with a different request")
        try:
            row = await self.engine.run(row.id, self.wait)
        except ChainUnavailable:
            # The node went away mid-way: the row stays pending/submitted and the tracker
            # finishes it; the caller sees its current state (and may replay the key later).
            row = await self.get(row.id)
        if row.status == "failed" and row.kind in REFUNDABLE:
            await self._drive_refund(row)
        return Outcome(row, replayed)

    async def _drive_refund(self, row: Row) -> None:
        """A failed payout's refund is sent before the answer (the tracker finishes it if the
        chain goes away meanwhile)."""
        async with connection(self.pool) as conn:
            refund = await ledger.refund_of(conn, row.id)
        if refund is not None and not refund.finished:
            with suppress(ChainUnavailable):
                await self.engine.run(refund.id, self.wait)

    async def _within_rate(self, conn: Connection, entry: NewEntry) -> Row | None:
        """Under the user's withdrawal lock (held to the end of the insert's transaction): the
        row of this key if a concurrent request made it, else refuse a new withdrawal beyond
        the hourly limit with 429."""
        user = entry.key_owner
        await conn.execute("SELECT pg_advisory_xact_lock($1, $2)", WITHDRAWAL_LOCK, user)
        row = await ledger.get_by_key(conn, entry.kind, user, entry.idempotency_key)
        limit = self.limits.withdrawals_per_hour
        if row is None and await ledger.recent_withdrawals(conn, user) >= limit:
            raise TooManyRequestsException(f"Too many withdrawals: at most {limit} per hour")
        return row

    async def get(self, entry_id: int) -> Row:
        if not 1 <= entry_id < 2**63:
            raise NotFoundException("Non existent transaction")
        async with connection(self.pool) as conn:
            row = await ledger.get(conn, entry_id)
        if row is None:
            raise NotFoundException("Non existent transaction")
        return row

    async def page(self, filters: ledger.Filters, offset: int, limit: int) -> tuple[list[Row], int]:
        async with connection(self.pool) as conn:
            return await ledger.page(conn, filters, offset, limit)

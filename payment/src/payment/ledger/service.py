"""Money movements: validation, idempotency, then the engine does the chain work."""

import hashlib
import json
from dataclasses import dataclass
from decimal import Decimal

from litestar.exceptions import ClientException, NotFoundException
from web3 import Web3

from payment.amounts import to_wei
from payment.db import Conn, connection
from payment.errors import ChainUnavailable, Conflict
from payment.ledger import repository as ledger
from payment.ledger.engine import INSUFFICIENT, Engine
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


class Movements:
    def __init__(self, engine: Engine, max_amount: Decimal, wait: float) -> None:
        self.engine, self.pool, self.chain = engine, engine.pool, engine.chain
        self.max_amount = max_amount
        self.wait = wait

    def _wei(self, amount: Decimal) -> int:
        if amount > self.max_amount:
            raise ClientException(f"amount exceeds the maximum of {self.max_amount} ETH")
        return to_wei(amount)

    async def _wallet(self, conn: Conn, user_id: int) -> WalletRow:
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
        async with connection(self.pool) as conn:
            sender = await self._wallet(conn, user_id)
        digest = request_hash(user_id=user_id, address=target, wei=wei)
        entry = NewEntry("withdrawal", key, digest, user_id, None, sender.address, target, wei)
        return await self.execute(entry)

    async def top_up(self, key: str, user_id: int, amount: Decimal) -> Outcome:
        wei = self._wei(amount)
        async with connection(self.pool) as conn:
            receiver = await self._wallet(conn, user_id)
        digest = request_hash(user_id=user_id, wei=wei)
        entry = NewEntry(
            "top_up", key, digest, None, user_id, self.chain.contract_address, receiver.address, wei
        )
        return await self.execute(entry)

    async def execute(self, entry: NewEntry) -> Outcome:
        """Insert the row (or find the one with this key) and drive it; a replay never sends
        anything new, it only waits for the first request's row."""
        async with connection(self.pool) as conn:
            row = await ledger.get_by_key(conn, entry.kind, entry.idempotency_key)
        replayed = row is not None
        if row is None:
            await self.chain.block_number()  # 503 before anything is recorded if the node is down
            chain_id = await self.chain.chain_id()
            async with connection(self.pool) as conn:
                row = await ledger.insert(conn, entry, chain_id)
                if row is None:  # a concurrent request with the same key won the insert
                    replayed = True
                    row = await ledger.get_by_key(conn, entry.kind, entry.idempotency_key)
        assert row is not None
        if row.request_hash != entry.request_hash:
            raise Conflict("Idempotency-Key was already used with a different request")
        try:
            row = await self.engine.run(row.id, self.wait)
        except ChainUnavailable:
            # The node went away mid-way: the row stays pending/submitted and the tracker
            # finishes it; the caller sees its current state (and may replay the key later).
            row = await self.get(row.id)
        return Outcome(row, replayed)

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

"""Creating wallets (with a little ETH for gas from the owner) and reading balances."""

import logging

from litestar.exceptions import NotFoundException

from payment import events, outbox
from payment.chain.errors import ChainUnavailable
from payment.db import connection
from payment.ledger import repository as ledger
from payment.ledger.engine import Engine
from payment.ledger.repository import NewEntry
from payment.wallets import repository
from payment.wallets.repository import WalletRow

log = logging.getLogger(__name__)


class Wallets:
    def __init__(self, engine: Engine, gas_grant_wei: int, wait: float) -> None:
        self.engine, self.pool, self.chain, self.keys = (
            engine,
            engine.pool,
            engine.chain,
            engine.keys,
        )
        self.gas_grant_wei = gas_grant_wei
        self.wait = wait

    async def create(self, user_id: int) -> tuple[WalletRow, bool]:
        """The user's wallet and whether it was created now (creation is idempotent)."""
        account = self.chain.new_account()
        sealed = self.keys.seal(bytes(account.key))
        grant_id: int | None = None
        try:
            chain_id: int | None = await self.chain.chain_id()
        except ChainUnavailable:
            chain_id = None  # the tracker adopts the grant once the chain answers
        async with connection(self.pool) as conn, conn.transaction():
            created = await repository.insert(conn, user_id, account.address, sealed)
            if created:
                await outbox.enqueue(conn, events.SOURCE, events.WALLET_CREATED_COUNT)
                if self.gas_grant_wei:
                    grant = await ledger.insert(
                        conn, self._grant(user_id, account.address), chain_id
                    )
                    grant_id = grant.id if grant else None
            wallet = await repository.get(conn, user_id)
        assert wallet is not None
        if created:
            self.engine.notify()
        if grant_id is not None:
            try:
                await self.engine.run(grant_id, self.wait)
                await self.engine.watch_owner()  # every grant costs the owner
            except ChainUnavailable:
                log.warning("gas grant %s waits for the chain; the tracker will send it", grant_id)
        return wallet, created

    def _grant(self, user_id: int, address: str) -> NewEntry:
        return NewEntry(
            kind="gas_grant",
            idempotency_key=f"wallet:{user_id}",
            request_hash="gas_grant",
            sender_id=None,
            receiver_id=user_id,
            sender_address=self.engine.owner.address,
            receiver_address=address,
            amount_wei=self.gas_grant_wei,
        )

    async def get(self, user_id: int) -> WalletRow:
        async with connection(self.pool) as conn:
            wallet = await repository.get(conn, user_id)
        if wallet is None:
            raise NotFoundException("Non existent wallet")
        return wallet

    async def balance(self, user_id: int) -> tuple[WalletRow, int]:
        wallet = await self.get(user_id)
        return wallet, await self.chain.balance(wallet.address)

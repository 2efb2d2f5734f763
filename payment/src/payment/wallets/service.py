"""Creating wallets (with a little ETH for gas from the owner) and reading balances."""

import logging

from payment import events, outbox
from payment.amounts import format_eth, to_wei
from payment.chain.errors import ChainUnavailable
from payment.db import connection, found
from payment.ledger import repository as ledger
from payment.ledger.repository import NewEntry
from payment.services import Services
from payment.wallets import repository
from payment.wallets.models import BalanceOut, WalletOut
from payment.wallets.repository import WalletRow

log = logging.getLogger(__name__)
NO_WALLET = "Non existent wallet"


def gas_grant(user_id: int, address: str, owner: str, wei: int) -> NewEntry:
    """The owner's grant of ``wei`` to a new wallet, for its deposits' gas (once per user)."""
    return NewEntry(
        kind="gas_grant",
        idempotency_key=f"wallet:{user_id}",
        request_hash="gas_grant",
        sender_id=None,
        receiver_id=user_id,
        sender_address=owner,
        receiver_address=address,
        amount_wei=wei,
    )


def wallet_out(wallet: WalletRow) -> WalletOut:
    return WalletOut(user_id=wallet.user_id, address=wallet.address)


async def create(services: Services, user_id: int) -> tuple[WalletOut, bool]:
    """The user's wallet and whether it was created now (creation is idempotent)."""
    engine, chain = services.engine, services.chain
    grant_wei = to_wei(services.settings.wallet_gas_grant)
    account = chain.new_account()
    sealed = engine.keys.seal(bytes(account.key))
    grant_id: int | None = None
    try:
        chain_id: int | None = await chain.chain_id()
    except ChainUnavailable:
        chain_id = None  # the tracker adopts the grant once the chain answers
    async with connection(services.pool) as conn, conn.transaction():
        created = await repository.insert(conn, user_id, account.address, sealed)
        if created:
            await outbox.enqueue(conn, events.SOURCE, events.WALLET_CREATED_COUNT)
            if grant_wei:
                grant = gas_grant(user_id, account.address, engine.owner.address, grant_wei)
                row = await ledger.insert(conn, grant, chain_id)
                grant_id = row.id if row else None
        wallet = await repository.get(conn, user_id)
    assert wallet is not None
    if created:
        engine.notify()
    if grant_id is not None:
        try:
            await engine.run(grant_id, services.settings.request_wait)
            await engine.watch_owner()  # every grant costs the owner
        except ChainUnavailable:
            log.warning("gas grant %s waits for the chain; the tracker will send it", grant_id)
    return wallet_out(wallet), created


async def read(services: Services, user_id: int) -> WalletOut:
    return wallet_out(await found(services.pool, repository.get, user_id, NO_WALLET))


async def balance(services: Services, user_id: int) -> BalanceOut:
    wallet = await found(services.pool, repository.get, user_id, NO_WALLET)
    wei = await services.chain.balance(wallet.address)
    return BalanceOut(user_id=wallet.user_id, address=wallet.address, balance=format_eth(wei))

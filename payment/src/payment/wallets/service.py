"""Creating wallets (with a little ETH for gas from the owner), reading balances, and unlinking
a deleted user's wallet."""

import logging

from litestar.exceptions import NotFoundException

from payment import events, outbox
from payment.amounts import format_eth, to_wei
from payment.chain.errors import ChainUnavailable
from payment.db import connection, found
from payment.errors import Conflict
from payment.inputs import ID_MAX
from payment.ledger import repository as ledger
from payment.ledger.repository import NewEntry
from payment.services import Services
from payment.wallets import repository
from payment.wallets.models import BalanceOut, WalletOut
from payment.wallets.repository import WalletRow

log = logging.getLogger(__name__)
NO_WALLET = "Non existent wallet"
HOLDS_MONEY = "The wallet holds more than dust: withdraw the balance before deleting the account"
IN_FLIGHT = "Movements are still in flight: try again once they settle"


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


def holds_money(balance_wei: int, granted_wei: int, dust_wei: int) -> bool:
    """Whether a wallet holds more than dust of its user's money: its balance less the gas
    grants, which are the platform's float, never the user's (README, "Gas grants are not
    money")."""
    return balance_wei - granted_wei > dust_wei


async def delete(services: Services, user_id: int) -> None:
    """Unlinks the user from their wallet and ledger rows, once nothing of theirs is left in it
    (409 otherwise); an unknown or already unlinked user is done already.

    The chain is asked outside any transaction; the unlink then checks, under the wallet's
    lock, that no movement of the user began since (a top-up landing between the two would
    otherwise be unlinked unseen)."""
    if not 1 <= user_id <= ID_MAX:
        raise NotFoundException(NO_WALLET)  # no user has such an id: as the reads answer
    async with connection(services.pool) as conn:
        state = await repository.deletion_state(conn, user_id)
    if state is None:
        return
    if state.in_flight:
        raise Conflict(IN_FLIGHT)
    balance_wei = await services.chain.balance(state.address)
    if holds_money(balance_wei, state.granted, to_wei(services.settings.deletion_dust_eth)):
        raise Conflict(HOLDS_MONEY)
    async with connection(services.pool) as conn, conn.transaction():
        unlinked = await repository.unlink(conn, user_id, state.address, state.last_entry)
    if not unlinked:
        raise Conflict(IN_FLIGHT)
    log.info("wallet %s unlinked from its deleted user", state.address)

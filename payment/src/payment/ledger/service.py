"""Money movements: validation, idempotency, then the engine does the chain work."""

import hashlib
import json
from collections.abc import Awaitable, Callable
from contextlib import nullcontext, suppress
from dataclasses import dataclass
from decimal import Decimal

from litestar.exceptions import ClientException, NotFoundException, TooManyRequestsException
from web3 import Web3

from payment.amounts import AmountError, format_eth, to_wei
from payment.audit import repository as audit
from payment.chain.errors import ChainUnavailable
from payment.db import WITHDRAWAL_LOCK, Connection, connection, found
from payment.errors import Conflict
from payment.inputs import plain_amount
from payment.ledger import repository as ledger
from payment.ledger.engine import INSUFFICIENT, REFUNDABLE
from payment.ledger.models import Entry, EntryPage, TopUpIn, TransferIn, WithdrawalIn
from payment.ledger.repository import Filters, NewEntry, Row
from payment.services import Services
from payment.wallets.repository import WalletRow

NO_TRANSACTION = "Non existent transaction"
NO_WALLET = "Non existent wallet"


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


def amount_wei(amount: Decimal, max_amount: Decimal) -> int:
    """The amount in wei, unless it is above ``max_amount`` ETH (400)."""
    if amount > max_amount:
        raise ClientException(f"amount exceeds the maximum of {max_amount} ETH")
    return to_wei(amount)


def check_withdrawal(wei: int, min_withdrawal_wei: int) -> None:
    """Every payout costs the owner gas: a withdrawal below the minimum is refused (400)."""
    if wei < min_withdrawal_wei:
        minimum = format_eth(min_withdrawal_wei)
        raise ClientException(f"amount is below the minimum withdrawal of {minimum} ETH")


def filters(
    address: str | None,
    min_amount: str | None,
    kind: str | None,
    status: str | None,
    user_id: int | None,
) -> Filters:
    """The ledger filters of a query: the address checksummed, the minimum amount in wei."""
    min_wei = None
    if min_amount is not None:
        try:
            min_wei = to_wei(plain_amount(min_amount, allow_zero=True))
        except AmountError as error:
            raise ClientException(f"min_amount: {error}") from error
    return Filters(
        address=checksum_address(address) if address is not None else None,
        min_wei=min_wei,
        kind=kind,
        status=status,
        user_id=user_id,
    )


async def _wallets(
    services: Services, kind: str, owner: int, key: str, *user_ids: int
) -> tuple[list[WalletRow], Row | None]:
    """The users' wallets and the row of this key (kind, key owner, key) if a request made
    it already, in one query; 404 for the first user without a wallet."""
    async with connection(services.pool) as conn:
        found, row = await ledger.with_wallets(conn, list(user_ids), kind, owner, key)
    for user_id in user_ids:
        if user_id not in found:
            raise NotFoundException(f"Non existent wallet for user {user_id}")
    return [found[user_id] for user_id in user_ids], row


async def transfer(services: Services, key: str, body: TransferIn) -> Outcome:
    sender_id, receiver_id = body.sender_id, body.receiver_id
    if sender_id == receiver_id:
        raise ClientException("sender and receiver must be different users")
    wei = amount_wei(body.amount, services.settings.max_amount)
    (sender, receiver), row = await _wallets(
        services, "transfer", sender_id, key, sender_id, receiver_id
    )
    digest = request_hash(sender_id=sender_id, receiver_id=receiver_id, wei=wei)
    entry = NewEntry(
        "transfer", key, digest, sender_id, receiver_id, sender.address, receiver.address, wei
    )
    return await execute(services, entry, row)


async def withdraw(services: Services, key: str, body: WithdrawalIn) -> Outcome:
    settings, chain, user_id = services.settings, services.chain, body.user_id
    target = checksum_address(body.address)
    if target == chain.contract_address:
        raise ClientException("address is the payment contract itself")
    wei = amount_wei(body.amount, settings.max_amount)
    check_withdrawal(wei, to_wei(settings.min_withdrawal))
    [sender], row = await _wallets(services, "withdrawal", user_id, key, user_id)
    digest = request_hash(user_id=user_id, address=target, wei=wei)
    entry = NewEntry("withdrawal", key, digest, user_id, None, sender.address, target, wei)

    async def plain_account() -> None:
        # A contract's receive() could burn the owner's payout gas (or refuse the money).
        if await chain.has_code(target):
            raise ClientException("address is a contract: withdrawals go to plain accounts only")

    return await execute(services, entry, row, before_insert=plain_account)


async def top_up(services: Services, key: str, body: TopUpIn) -> Outcome:
    user_id, wei = body.user_id, amount_wei(body.amount, services.settings.max_amount)
    [receiver], row = await _wallets(services, "top_up", user_id, key, user_id)
    # The admin is not part of the request's identity: a retry of the key by another admin
    # answers the first top-up, whose audit entry names the admin who made it.
    digest = request_hash(user_id=user_id, wei=wei)
    contract = services.chain.contract_address
    entry = NewEntry("top_up", key, digest, None, user_id, contract, receiver.address, wei)

    async def audited(conn: Connection, row: Row) -> None:
        after = {"amount": format_eth(row.amount_wei), "entry_id": row.id}
        await audit.record(conn, body.actor_id, "wallet_topped_up", "user", user_id, after=after)

    return await execute(services, entry, row, recorded=audited)


async def execute(
    services: Services,
    entry: NewEntry,
    row: Row | None,
    before_insert: Callable[[], Awaitable[None]] | None = None,
    recorded: Callable[[Connection, Row], Awaitable[None]] | None = None,
) -> Outcome:
    """Insert the row unless ``row``, the one with this key, was found, and drive it; a
    replay never sends anything new, it only waits for the first request's row.
    ``before_insert`` checks a new request only (a replay answers with the first request's
    row); ``recorded`` writes what goes with a new row (its audit entry) in the insert's
    transaction, so a replay, which inserts nothing, writes nothing either."""
    pool, chain, engine = services.pool, services.chain, services.engine
    wait = services.settings.request_wait
    replayed = row is not None
    if row is None:
        await chain.reachable()  # 503 before anything is recorded if the node is down
        if before_insert is not None:
            await before_insert()
        chain_id = await chain.chain_id()
        withdrawal = entry.kind == "withdrawal"
        async with (
            connection(pool) as conn,
            # A withdrawal's rate check holds its lock to the end of the insert's transaction,
            # a top-up's audit entry commits with its row; a transfer's insert is one statement.
            conn.transaction() if withdrawal or recorded else nullcontext(),
        ):
            if withdrawal:
                row = await _within_rate(conn, entry, services.settings.withdrawals_per_hour)
                replayed = row is not None
            if row is None:
                row = await ledger.insert(conn, entry, chain_id, linked=True)
                if row is not None and recorded is not None:
                    await recorded(conn, row)
                elif row is None:  # a concurrent request with the same key won the insert
                    replayed = True
                    row = await ledger.get_by_key(
                        conn, entry.kind, entry.key_owner, entry.idempotency_key
                    )
                    if row is None:  # no such key: a wallet was unlinked since it was read
                        raise NotFoundException(NO_WALLET)
    assert row is not None
    if row.request_hash != entry.request_hash:
        raise Conflict("Idempotency-Key was already used with a different request")
    try:
        row = await engine.run(row.id, wait, row)
    except ChainUnavailable:
        # The node went away mid-way: the row stays pending/submitted and the tracker
        # finishes it; the caller sees its current state (and may replay the key later).
        row = await found(pool, ledger.get, row.id, NO_TRANSACTION)
    if row.status == "failed" and row.kind in REFUNDABLE:
        await _drive_refund(services, row)
    return Outcome(row, replayed)


async def _drive_refund(services: Services, row: Row) -> None:
    """A failed payout's refund is sent before the answer (the tracker finishes it if the
    chain goes away meanwhile)."""
    async with connection(services.pool) as conn:
        refund = await ledger.refund_of(conn, row.id)
    if refund is not None and not refund.finished:
        with suppress(ChainUnavailable):
            await services.engine.run(refund.id, services.settings.request_wait, refund)


async def _within_rate(conn: Connection, entry: NewEntry, per_hour: int) -> Row | None:
    """Under the user's withdrawal lock (held to the end of the insert's transaction): the
    row of this key if a concurrent request made it, else refuse a new withdrawal beyond
    the hourly limit with 429."""
    user = entry.key_owner
    # The lock's second key is an int4: a user id beyond it (ids are bigints) is hashed, which
    # at worst serialises two users' withdrawals; smaller ids keep their key of 1.1.
    await conn.execute(
        "SELECT pg_advisory_xact_lock($1, CASE WHEN $2::bigint <= 2147483647"
        " THEN $2::bigint::int ELSE hashtext($2::bigint::text) END)",
        WITHDRAWAL_LOCK,
        user,
    )
    row = await ledger.get_by_key(conn, entry.kind, user, entry.idempotency_key)
    if row is None and await ledger.recent_withdrawals(conn, user) >= per_hour:
        raise TooManyRequestsException(f"Too many withdrawals: at most {per_hour} per hour")
    return row


async def transaction(services: Services, entry_id: int) -> Entry:
    return Entry.of(await found(services.pool, ledger.get, entry_id, NO_TRANSACTION))


async def transactions(
    services: Services,
    offset: int,
    limit: int,
    *,
    address: str | None = None,
    min_amount: str | None = None,
    kind: str | None = None,
    status: str | None = None,
    user_id: int | None = None,
) -> EntryPage:
    """A page of the ledger, newest first, with the rows' total under the filters."""
    where = filters(address, min_amount, kind, status, user_id)
    async with connection(services.pool) as conn:
        rows, total = await ledger.page(conn, where, offset, limit)
    return EntryPage(items=[Entry.of(r) for r in rows], total=total, offset=offset, limit=limit)

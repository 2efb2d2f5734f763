"""SQL for wallets: creating them, reading them by user, and unlinking a deleted user's."""

from dataclasses import dataclass

import asyncpg

from payment.db import Connection


@dataclass(frozen=True)
class WalletRow:
    user_id: int
    address: str
    sealed_key: bytes


async def insert(conn: Connection, user_id: int, address: str, sealed_key: bytes) -> bool:
    """Insert the wallet unless the user has one already; True when inserted."""
    inserted = await conn.fetchval(
        """
        INSERT INTO wallets (user_id, address, sealed_key) VALUES ($1, $2, $3)
        ON CONFLICT (user_id) DO NOTHING
        RETURNING true
        """,
        user_id,
        address,
        sealed_key,
    )
    return bool(inserted)


def _wallet(row: asyncpg.Record) -> WalletRow:
    return WalletRow(row["user_id"], row["address"], bytes(row["sealed_key"]))


async def get(conn: Connection, user_id: int) -> WalletRow | None:
    row = await conn.fetchrow(
        "SELECT user_id, address, sealed_key FROM wallets WHERE user_id = $1", user_id
    )
    return _wallet(row) if row else None


@dataclass(frozen=True)
class DeletionState:
    """What a deletion checks about the user's wallet before it asks the chain."""

    address: str
    # Wei of gas grants to the wallet (sent or on their way): never the user's money.
    granted: int
    # A movement of the user's is pending or submitted.
    in_flight: bool
    # The newest ledger row naming the user (0 for none): a newer one at the unlink means a
    # movement began after the balance was read.
    last_entry: int


async def deletion_state(conn: Connection, user_id: int) -> DeletionState | None:
    """The user's wallet's state for a deletion, in one query; None without a wallet."""
    record = await conn.fetchrow(
        """
        SELECT wallets.address,
            (SELECT coalesce(sum(amount_wei), 0) FROM ledger
             WHERE receiver_address = wallets.address AND kind = 'gas_grant'
               AND status <> 'failed') AS granted,
            EXISTS (SELECT 1 FROM ledger
                    WHERE (sender_id = $1 OR receiver_id = $1)
                      AND status IN ('pending', 'submitted')) AS in_flight,
            (SELECT coalesce(max(id), 0) FROM ledger WHERE sender_id = $1 OR receiver_id = $1)
                AS last_entry
        FROM wallets WHERE wallets.user_id = $1
        """,
        user_id,
    )
    if record is None:
        return None
    return DeletionState(
        address=record["address"],
        granted=int(record["granted"]),
        in_flight=record["in_flight"],
        last_entry=int(record["last_entry"]),
    )


# A key no request can present again (a header value never holds a line feed): an unlinked
# row's key owner becomes the other party or 0, and neither may replay it.
UNLINKED_KEY = "'unlinked' || chr(10) || id"


async def unlink(conn: Connection, user_id: int, address: str, last_entry: int) -> bool:
    """In the caller's transaction: unlinks the user from their wallet (``address``) and from
    every ledger row, unless a movement of theirs began since ``last_entry`` or is in flight
    (False). True when done, or when the wallet is already unlinked.

    The wallet's row is locked first: a movement's insert takes a share lock on the wallets it
    names (ledger.repository.insert), so it either committed before this lock (and its row is
    seen below) or waits for the unlink and then finds no wallet for the user.

    The rows keep what they record (kind, addresses, amount, status, transaction hashes, times);
    the user's id goes, so does the request's digest (a hash of the body, user ids included,
    easily reversed), and the keys the user owned are replaced by `UNLINKED_KEY`."""
    locked = await conn.fetchval(
        "SELECT address FROM wallets WHERE user_id = $1 FOR UPDATE", user_id
    )
    if locked is None:
        return True  # a concurrent deletion unlinked it
    if locked != address:
        return False  # unlinked and made anew since the balance was read: not that wallet
    busy = await conn.fetchval(
        """
        SELECT EXISTS (SELECT 1 FROM ledger
                       WHERE (sender_id = $1 OR receiver_id = $1)
                         AND (id > $2 OR status IN ('pending', 'submitted')))
        """,
        user_id,
        last_entry,
    )
    if busy:
        return False
    await conn.execute(
        f"""
        UPDATE ledger SET
            idempotency_key = CASE WHEN key_owner = $1 THEN {UNLINKED_KEY}
                                   ELSE idempotency_key END,
            request_hash = 'unlinked',
            sender_id = nullif(sender_id, $1),
            receiver_id = nullif(receiver_id, $1)
        WHERE sender_id = $1 OR receiver_id = $1
        """,
        user_id,
    )
    await conn.execute(
        "UPDATE wallets SET user_id = NULL, unlinked_at = now() WHERE user_id = $1", user_id
    )
    return True

"""SQL for ledger rows, nonces and deployments."""

import json
import uuid
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import asyncpg

from payment.chain.client import SignedTx
from payment.db import Connection
from payment.wallets.repository import WalletRow

COLUMNS = """id, kind, idempotency_key, request_hash, sender_id, receiver_id, sender_address,
    receiver_address, amount_wei, status, step, deposit_tx_hash, deposit_raw_tx, payout_tx_hash,
    payout_raw_tx, submitted_at, failure_reason, created_at, updated_at, chain_id, refund_of"""
COLUMN_NAMES = tuple(name.strip() for name in COLUMNS.split(","))
# The same, qualified: for statements that join the ledger to other rows.
LEDGER_COLUMNS = ", ".join(f"ledger.{name.strip()}" for name in COLUMNS.split(","))


@dataclass(frozen=True)
class NewEntry:
    kind: str
    idempotency_key: str
    request_hash: str
    sender_id: int | None
    receiver_id: int | None
    sender_address: str
    receiver_address: str
    amount_wei: int
    # A refund: the failed transfer or withdrawal whose deposit it pays back.
    refund_of: int | None = None

    @property
    def key_owner(self) -> int:
        """The user an idempotency key belongs to: the sender, else the receiver."""
        return self.sender_id or self.receiver_id or 0

    @property
    def first_step(self) -> str:
        # Transfers and withdrawals start with the sender's deposit; the owner pays the rest.
        return "deposit" if self.kind in ("transfer", "withdrawal") else "payout"


@dataclass(frozen=True, kw_only=True)
class Row(NewEntry):
    id: int
    status: str
    step: str
    deposit_tx_hash: str | None
    deposit_raw_tx: bytes | None
    payout_tx_hash: str | None
    payout_raw_tx: bytes | None
    submitted_at: datetime | None
    failure_reason: str | None
    created_at: datetime
    updated_at: datetime
    chain_id: int | None

    @property
    def finished(self) -> bool:
        return self.status in ("confirmed", "failed")


def _row(record: asyncpg.Record, names: tuple[str, ...] | None = None) -> Row:
    """The row of a record (of its columns ``names`` only, when it has others too)."""
    values = dict(record) if names is None else {name: record[name] for name in names}
    values["amount_wei"] = int(values["amount_wei"])
    if values["chain_id"] is not None:
        values["chain_id"] = int(values["chain_id"])
    for raw in ("deposit_raw_tx", "payout_raw_tx"):
        if values[raw] is not None:
            values[raw] = bytes(values[raw])
    return Row(**values)


async def insert(
    conn: Connection, entry: NewEntry, chain_id: int | None, linked: bool = False
) -> Row | None:
    """The new row, or None when (kind, key owner, idempotency_key) exists already or, with
    ``linked``, when a user it names no longer has the wallet it names.

    ``linked`` is for a request's movement, whose wallets were read before: the statement
    takes a share lock on them (KEY SHARE, which only a change of the user id conflicts with),
    so a deletion that unlinks one of them either waits for this row to commit (and sees it) or
    commits first, and then this insert finds the wallet unlinked and writes nothing (the
    wallet is checked again once the lock is granted)."""
    record = await conn.fetchrow(
        f"""
        WITH named AS (
            SELECT user_id FROM wallets
            WHERE $12 AND ((user_id = $4 AND address = $6) OR (user_id = $5 AND address = $7))
            FOR KEY SHARE
        )
        INSERT INTO ledger (kind, idempotency_key, request_hash, sender_id, receiver_id,
                            sender_address, receiver_address, amount_wei, step, chain_id,
                            refund_of)
        SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11
        WHERE NOT $12 OR (SELECT count(*) FROM named) = num_nonnulls($4::bigint, $5::bigint)
        ON CONFLICT (kind, key_owner, idempotency_key) DO NOTHING
        RETURNING {COLUMNS}
        """,
        entry.kind,
        entry.idempotency_key,
        entry.request_hash,
        entry.sender_id,
        entry.receiver_id,
        entry.sender_address,
        entry.receiver_address,
        entry.amount_wei,
        entry.first_step,
        chain_id,
        entry.refund_of,
        linked,
    )
    return _row(record) if record else None


async def recent_withdrawals(conn: Connection, user_id: int) -> int:
    """Withdrawal rows the user created in the last hour (whatever became of them)."""
    value = await conn.fetchval(
        """
        SELECT count(*) FROM ledger
        WHERE sender_id = $1 AND kind = 'withdrawal' AND created_at > now() - interval '1 hour'
        """,
        user_id,
    )
    return int(value)


async def get(conn: Connection, entry_id: int) -> Row | None:
    record = await conn.fetchrow(f"SELECT {COLUMNS} FROM ledger WHERE id = $1", entry_id)
    return _row(record) if record else None


async def get_by_key(conn: Connection, kind: str, owner: int, key: str) -> Row | None:
    """The row of this user's key (keys are scoped per kind and per user)."""
    record = await conn.fetchrow(
        f"SELECT {COLUMNS} FROM ledger WHERE kind = $1 AND key_owner = $2 AND idempotency_key = $3",
        kind,
        owner,
        key,
    )
    return _row(record) if record else None


async def with_wallets(
    conn: Connection, user_ids: list[int], kind: str, owner: int, key: str
) -> tuple[dict[int, WalletRow], Row | None]:
    """The wallets of these users that exist, by user id, and the row of (kind, key owner,
    key) if there is one, in one query."""
    records = await conn.fetch(
        f"""
        SELECT wallets.user_id AS wallet_user_id, wallets.address AS wallet_address,
               wallets.sealed_key AS wallet_sealed_key, {LEDGER_COLUMNS}
        FROM wallets
        LEFT JOIN ledger
            ON ledger.kind = $2 AND ledger.key_owner = $3 AND ledger.idempotency_key = $4
        WHERE wallets.user_id = ANY($1::bigint[])
        """,
        user_ids,
        kind,
        owner,
        key,
    )
    found = {
        record["wallet_user_id"]: WalletRow(
            record["wallet_user_id"], record["wallet_address"], bytes(record["wallet_sealed_key"])
        )
        for record in records
    }
    first = records[0] if records else None
    row = _row(first, COLUMN_NAMES) if first is not None and first["id"] is not None else None
    return found, row


async def reserved_in_pool(conn: Connection, other_than: int) -> int:
    """Wei of the pool that unfinished movements will pay out (other rows): deposits made or
    on their way that await their payout, refunds, and top-ups already signed. A top-up may
    only spend what is left."""
    value = await conn.fetchval(
        """
        SELECT coalesce(sum(amount_wei), 0) FROM ledger
        WHERE status IN ('pending', 'submitted') AND id <> $1
          AND ((kind IN ('transfer', 'withdrawal')
                AND step IN ('deposit_sent', 'payout', 'payout_sent'))
               OR kind = 'refund'
               OR (kind = 'top_up' AND step = 'payout_sent'))
        """,
        other_than,
    )
    return int(value)


async def refund_of(conn: Connection, entry_id: int) -> Row | None:
    record = await conn.fetchrow(f"SELECT {COLUMNS} FROM ledger WHERE refund_of = $1", entry_id)
    return _row(record) if record else None


@dataclass(frozen=True)
class SigningState:
    """What a wallet's deposit needs from the database, read under the wallet's lock."""

    sealed_key: bytes
    # Wei of gas grants to the wallet (sent or on their way): never spendable as money.
    granted: int
    # Raw deposits the wallet signed whose receipts were not seen yet (other rows).
    unmined: list[bytes]
    # The stored next nonce (0 before the first).
    next_nonce: int


async def signing_state(
    conn: Connection, address: str, other_than: int, chain_id: int
) -> SigningState:
    """The wallet's sealed key, gas grants, unmined deposits and next nonce, in one query."""
    record = await conn.fetchrow(
        """
        SELECT
            (SELECT sealed_key FROM wallets WHERE address = $1) AS sealed_key,
            (SELECT coalesce(sum(amount_wei), 0) FROM ledger
             WHERE receiver_address = $1 AND kind = 'gas_grant' AND status <> 'failed')
                AS granted,
            ARRAY(SELECT deposit_raw_tx FROM ledger
                  WHERE sender_address = $1 AND step = 'deposit_sent' AND status = 'submitted'
                    AND id <> $2 AND deposit_raw_tx IS NOT NULL) AS unmined,
            (SELECT next_nonce FROM nonces WHERE chain_id = $3 AND address = $1) AS next_nonce
        """,
        address,
        other_than,
        chain_id,
    )
    assert record is not None and record["sealed_key"] is not None, f"no wallet for {address}"
    return SigningState(
        sealed_key=bytes(record["sealed_key"]),
        granted=int(record["granted"]),
        unmined=[bytes(raw) for raw in record["unmined"]],
        next_nonce=int(record["next_nonce"] or 0),
    )


async def record_signed(
    conn: Connection,
    entry_id: int,
    step: str,
    chain_id: int,
    signed: SignedTx,
    signer: str,
    next_nonce: int,
) -> Row | None:
    """Records one row's signed transaction before it is broadcast (step deposit →
    deposit_sent or payout → payout_sent) and the signer's next nonce, in one statement:
    both or, when another worker moved the row first, neither (None), so the nonce stays
    free. Call it under the signer's advisory lock."""
    column = {"deposit": "deposit", "payout": "payout"}[step]
    record = await conn.fetchrow(
        f"""
        WITH sent AS (
            UPDATE ledger SET step = $2 || '_sent', status = 'submitted', {column}_tx_hash = $3,
                   {column}_raw_tx = $4, submitted_at = now(), chain_id = $5, updated_at = now()
            WHERE id = $1 AND step = $2 AND status IN ('pending', 'submitted')
            RETURNING {COLUMNS}
        ), nonce AS (
            INSERT INTO nonces (chain_id, address, next_nonce) SELECT $5, $6, $7 FROM sent
            ON CONFLICT (chain_id, address) DO UPDATE SET next_nonce = EXCLUDED.next_nonce
        )
        SELECT * FROM sent
        """,
        entry_id,
        step,
        signed.tx_hash,
        signed.raw,
        chain_id,
        signer,
        next_nonce,
    )
    return _row(record) if record else None


async def _compare_and_set(
    conn: Connection, entry_id: int, step: str, changes: str, *values: Any
) -> Row | None:
    """Apply ``changes`` only if the row is still unfinished at ``step``: of two workers racing
    on one row, exactly one gets the changed row, the other None."""
    record = await conn.fetchrow(
        f"""
        UPDATE ledger SET {changes}, updated_at = now()
        WHERE id = $1 AND step = $2 AND status IN ('pending', 'submitted')
        RETURNING {COLUMNS}
        """,
        entry_id,
        step,
        *values,
    )
    return _row(record) if record else None


async def claim(conn: Connection, entry_ids: list[int], step: str) -> set[int]:
    """In the caller's transaction: locks the rows that are still unfinished at ``step`` and
    returns their ids. Until the transaction ends no other worker can move them, so a nonce
    is only ever taken for a row that will record its transaction."""
    records = await conn.fetch(
        """
        SELECT id FROM ledger
        WHERE id = ANY($1::bigint[]) AND step = $2 AND status IN ('pending', 'submitted')
        FOR UPDATE
        """,
        entry_ids,
        step,
    )
    return {record["id"] for record in records}


async def mark_sent(
    conn: Connection, step: str, chain_id: int, sent: list[tuple[int, SignedTx]]
) -> dict[int, Row]:
    """Records claimed rows' signed transactions before they are broadcast: step deposit →
    deposit_sent or payout → payout_sent. The rows as recorded, by id."""
    column = {"deposit": "deposit", "payout": "payout"}[step]
    ids = [entry_id for entry_id, _ in sent]
    hashes = [signed.tx_hash for _, signed in sent]
    raws = [signed.raw for _, signed in sent]
    records = await conn.fetch(
        f"""
        UPDATE ledger SET step = $1 || '_sent', status = 'submitted', {column}_tx_hash = s.hash,
               {column}_raw_tx = s.raw, submitted_at = now(), chain_id = $2, updated_at = now()
        FROM unnest($3::bigint[], $4::text[], $5::bytea[]) AS s (id, hash, raw)
        WHERE ledger.id = s.id AND ledger.step = $1
        RETURNING {LEDGER_COLUMNS}
        """,
        step,
        chain_id,
        ids,
        hashes,
        raws,
    )
    return {record["id"]: _row(record) for record in records}


async def record_batch(
    conn: Connection,
    step: str,
    chain_id: int,
    signer: str,
    chain_nonce: int,
    first: int,
    sent: list[tuple[int, SignedTx]],
) -> dict[int, Row] | None:
    """Records rows' signed transactions before they are broadcast (``step`` → ``step``_sent)
    and the signer's next nonce past them, in one statement, if every row is still unfinished
    at ``step`` and ``first`` is the nonce to sign with (the larger of the stored next nonce
    and the node's count ``chain_nonce``); else nothing (None), and the caller claims the
    rows and takes the nonces in a transaction (`claim`, `take_nonces`, `mark_sent`). The rows
    as recorded, by id. Call it under the signer's advisory lock."""
    column = {"deposit": "deposit", "payout": "payout"}[step]
    records = await conn.fetch(
        f"""
        WITH live AS (
            SELECT id FROM ledger
            WHERE id = ANY($3::bigint[]) AND step = $1 AND status IN ('pending', 'submitted')
            FOR UPDATE
        ), go AS (
            SELECT (SELECT count(*) FROM live) = cardinality($3::bigint[])
               AND greatest((SELECT next_nonce FROM nonces WHERE chain_id = $2 AND address = $6),
                            $7::bigint) = $8::bigint AS ok
        ), sent AS (
            UPDATE ledger SET step = $1 || '_sent', status = 'submitted',
                   {column}_tx_hash = s.hash, {column}_raw_tx = s.raw, submitted_at = now(),
                   chain_id = $2, updated_at = now()
            FROM unnest($3::bigint[], $4::text[], $5::bytea[]) AS s (id, hash, raw)
            WHERE ledger.id = s.id AND ledger.id IN (SELECT id FROM live)
              AND (SELECT ok FROM go)
            RETURNING {LEDGER_COLUMNS}
        ), nonce AS (
            INSERT INTO nonces (chain_id, address, next_nonce)
            SELECT $2, $6, $8::bigint + cardinality($3::bigint[]) WHERE (SELECT ok FROM go)
            ON CONFLICT (chain_id, address) DO UPDATE SET next_nonce = EXCLUDED.next_nonce
        )
        SELECT * FROM sent
        """,
        step,
        chain_id,
        [entry_id for entry_id, _ in sent],
        [signed.tx_hash for _, signed in sent],
        [signed.raw for _, signed in sent],
        signer,
        chain_nonce,
        first,
    )
    if len(records) != len(sent):
        return None
    return {record["id"]: _row(record) for record in records}


async def unsend(conn: Connection, entry_id: int, step: str, status: str) -> bool:
    """Undo ``mark_sent`` for a transaction the node refused (it can never land)."""
    changes = f"step = $2, status = $3, {step}_tx_hash = NULL, {step}_raw_tx = NULL"
    done = await conn.fetchval(
        f"UPDATE ledger SET {changes}, updated_at = now() "
        "WHERE id = $1 AND step = $2 || '_sent' RETURNING true",
        entry_id,
        step,
        status,
    )
    return bool(done)


async def mark_resent(conn: Connection, entry_id: int) -> Row | None:
    """The row, its stored transaction broadcast again just now."""
    record = await conn.fetchrow(
        f"UPDATE ledger SET submitted_at = now() WHERE id = $1 RETURNING {COLUMNS}", entry_id
    )
    return _row(record) if record else None


async def advance(conn: Connection, entry_id: int, step: str, to: str) -> Row | None:
    """Move a mined step forward (deposit_sent → payout, payout_sent → done/confirmed): the
    row as it is now, or None when another worker moved it first."""
    changes = "step = $3, status = CASE WHEN $3 = 'done' THEN 'confirmed' ELSE status END"
    return await _compare_and_set(conn, entry_id, step, changes, to)


async def confirm(conn: Connection, entry_id: int, step: str, event: dict[str, Any]) -> Row | None:
    """Confirms a row whose last transaction was mined (``step`` → done) with its event
    (outbox.event's body) in the outbox, in one statement: the row as it is now, or None (and
    no event) when another worker moved it first."""
    record = await conn.fetchrow(
        f"""
        WITH moved AS (
            UPDATE ledger SET step = 'done', status = 'confirmed', updated_at = now()
            WHERE id = $1 AND step = $2 AND status IN ('pending', 'submitted')
            RETURNING {COLUMNS}
        ), event AS (
            INSERT INTO outbox (id, payload) SELECT $3, $4::jsonb FROM moved
        )
        SELECT * FROM moved
        """,
        entry_id,
        step,
        uuid.UUID(str(event["id"])),
        json.dumps(event),
    )
    return _row(record) if record else None


async def fail(conn: Connection, entry_id: int, step: str, reason: str) -> bool:
    changes = "status = 'failed', failure_reason = $3"
    return await _compare_and_set(conn, entry_id, step, changes, reason) is not None


async def unfinished(conn: Connection, chain_id: int, older_than: float, limit: int) -> list[int]:
    records = await conn.fetch(
        """
        SELECT id FROM ledger
        WHERE status IN ('pending', 'submitted') AND (chain_id = $1 OR chain_id IS NULL)
          AND updated_at <= now() - make_interval(secs => $2)
        ORDER BY updated_at LIMIT $3
        """,
        chain_id,
        older_than,
        limit,
    )
    return [record["id"] for record in records]


@dataclass(frozen=True)
class Filters:
    address: str | None = None
    min_wei: int | None = None
    kind: str | None = None
    status: str | None = None
    user_id: int | None = None


def _where(filters: Filters, args: list[Any] | None = None) -> tuple[str, list[Any]]:
    """The WHERE clause of the filters, numbering its arguments after ``args``."""
    clauses: list[str] = []
    args = [] if args is None else args

    def arg(value: Any) -> str:
        args.append(value)
        return f"${len(args)}"

    if filters.address is not None:
        placeholder = arg(filters.address)
        clauses.append(f"(sender_address = {placeholder} OR receiver_address = {placeholder})")
    if filters.user_id is not None:
        placeholder = arg(filters.user_id)
        clauses.append(f"(sender_id = {placeholder} OR receiver_id = {placeholder})")
    if filters.min_wei is not None:
        clauses.append(f"amount_wei >= {arg(filters.min_wei)}")
    if filters.kind is not None:
        clauses.append(f"kind = {arg(filters.kind)}")
    if filters.status is not None:
        clauses.append(f"status = {arg(filters.status)}")
    return ("WHERE " + " AND ".join(clauses) if clauses else ""), args


def _party(filters: Filters) -> tuple[str, Any, Filters] | None:
    """The party a page is about (an address, else a user), its column pair's stem and the
    other filters; None when the page is about no party."""
    if filters.address is not None:
        return "address", filters.address, replace(filters, address=None)
    if filters.user_id is not None:
        return "id", filters.user_id, replace(filters, user_id=None)
    return None


async def page(
    conn: Connection, filters: Filters, offset: int, limit: int
) -> tuple[list[Row], int]:
    """A page, newest first, and the exact count under the filters, none of them scanning
    the ledger as it grows:

    - a party's movements (an address or a user, as sender or receiver) are two index scans
      in id order (sender_*, receiver_* with id), each cut at offset + limit and merged, and
      counted on the same indexes: the cost is the party's own rows, not the ledger's;
    - with no party, the page is an index-only walk of the primary key (or of kind's or
      status's index) to the offset, then only the page's rows are read; the count of every
      row, or of a kind, is kept by triggers in ledger_counts (the ledger only grows); under
      a minimum amount (and a kind) it sums the rows of ledger_amounts at or above it, one per
      distinct amount and kind; a status is counted on its index.
    """
    party = _party(filters)
    if party is None:
        where, args = _where(filters)
        skip, take = f"${len(args) + 1}", f"${len(args) + 2}"
        ids = f"SELECT id FROM ledger {where} ORDER BY id DESC OFFSET {skip} LIMIT {take}"
        if filters.status is not None:
            counted, count_args = f"SELECT count(*) FROM ledger {where}", args
        elif filters.min_wei is not None:  # ledger_amounts has the ledger's amount and kind
            counted = f"SELECT coalesce(sum(movements), 0) FROM ledger_amounts {where}"
            count_args = args
        elif filters.kind is not None:
            counted = "SELECT coalesce(sum(movements), 0) FROM ledger_counts WHERE kind = $1"
            count_args = [filters.kind]
        else:
            counted, count_args = "SELECT coalesce(sum(movements), 0) FROM ledger_counts", []
    else:
        stem, value, rest = party
        where, args = _where(rest, [value])
        more = where.replace("WHERE", "AND", 1)
        skip, take = f"${len(args) + 1}", f"${len(args) + 2}"
        # Disjoint: a row that names the party on both sides counts as the sender's.
        as_sender = f"sender_{stem} = $1 {more}"
        as_receiver = f"receiver_{stem} = $1 AND sender_{stem} IS DISTINCT FROM $1 {more}"
        first = f"ORDER BY id DESC LIMIT {skip}::bigint + {take}::bigint"
        ids = f"""
            SELECT id FROM (
                (SELECT id FROM ledger WHERE {as_sender} {first})
                UNION ALL
                (SELECT id FROM ledger WHERE {as_receiver} {first})
            ) AS party
            ORDER BY id DESC OFFSET {skip} LIMIT {take}
        """
        counted = f"""
            SELECT (SELECT count(*) FROM ledger WHERE {as_sender})
                 + (SELECT count(*) FROM ledger WHERE {as_receiver})
        """
        count_args = args
    records = await conn.fetch(
        f"SELECT {COLUMNS} FROM ledger WHERE id IN ({ids}) ORDER BY id DESC", *args, offset, limit
    )
    total = await conn.fetchval(counted, *count_args)
    return [_row(record) for record in records], int(total)


async def take_nonces(
    conn: Connection, chain_id: int, address: str, chain_nonce: int, count: int
) -> int:
    """The first of ``count`` consecutive nonces to sign with (from the larger of the stored
    next nonce and the node's pending count), bumping the stored one past them; call it under
    the account's advisory lock."""
    value = await conn.fetchval(
        """
        INSERT INTO nonces (chain_id, address, next_nonce) VALUES ($1, $2, $3::bigint + $4::bigint)
        ON CONFLICT (chain_id, address)
            DO UPDATE SET next_nonce = greatest(nonces.next_nonce, $3::bigint) + $4::bigint
        RETURNING next_nonce - $4::bigint
        """,
        chain_id,
        address,
        chain_nonce,
        count,
    )
    return int(value)


async def set_next_nonce(conn: Connection, chain_id: int, address: str, nonce: int) -> None:
    await conn.execute(
        """
        INSERT INTO nonces (chain_id, address, next_nonce) VALUES ($1, $2, $3)
        ON CONFLICT (chain_id, address) DO UPDATE SET next_nonce = EXCLUDED.next_nonce
        """,
        chain_id,
        address,
        nonce,
    )


async def forget_chain(conn: Connection, chain_id: int) -> int:
    """The chain was reset (its contract is gone): drop its nonces and fail its unfinished rows,
    whose transactions can never land. Returns how many rows failed."""
    await conn.execute("DELETE FROM nonces WHERE chain_id = $1", chain_id)
    failed = await conn.fetch(
        """
        UPDATE ledger SET status = 'failed', updated_at = now(),
               failure_reason = 'The chain was reset before this movement was confirmed'
        WHERE chain_id = $1 AND status IN ('pending', 'submitted')
        RETURNING id
        """,
        chain_id,
    )
    return len(failed)


async def deployment(conn: Connection, chain_id: int, owner: str) -> str | None:
    value = await conn.fetchval(
        "SELECT address FROM deployments WHERE chain_id = $1 AND owner = $2", chain_id, owner
    )
    return str(value) if value else None


async def save_deployment(conn: Connection, chain_id: int, owner: str, address: str) -> None:
    await conn.execute(
        """
        INSERT INTO deployments (chain_id, owner, address) VALUES ($1, $2, $3)
        ON CONFLICT (chain_id, owner) DO UPDATE SET address = EXCLUDED.address, created_at = now()
        """,
        chain_id,
        owner,
        address,
    )

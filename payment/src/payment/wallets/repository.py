"""SQL for wallets."""

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

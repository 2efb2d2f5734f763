"""SQL for favourites and ratings. Every function takes an asyncpg connection."""

import asyncpg

from trainings.db import Connection
from trainings.trainings.repository import COLUMNS, page_limit


async def add(conn: Connection, user_id: int, training_id: int) -> bool:
    """False when it already was a favourite."""
    added = await conn.fetchval(
        """
        INSERT INTO favourites (user_id, training_id) VALUES ($1, $2)
        ON CONFLICT DO NOTHING
        RETURNING true
        """,
        user_id,
        training_id,
    )
    return bool(added)


async def remove(conn: Connection, user_id: int, training_id: int) -> bool:
    removed = await conn.fetchval(
        "DELETE FROM favourites WHERE user_id = $1 AND training_id = $2 RETURNING true",
        user_id,
        training_id,
    )
    return bool(removed)


async def page(conn: Connection, user_id: int, offset: int, limit: int) -> list[asyncpg.Record]:
    """The user's favourite trainings, in the order they were added."""
    return await conn.fetch(
        f"""
        SELECT {COLUMNS} FROM favourites f JOIN trainings t ON t.id = f.training_id
        WHERE f.user_id = $1
        ORDER BY f.created_at, f.training_id
        LIMIT {page_limit(limit)} OFFSET $2
        """,
        user_id,
        offset,
    )


async def count(conn: Connection, user_id: int) -> int:
    total: int = await conn.fetchval("SELECT count(*) FROM favourites WHERE user_id = $1", user_id)
    return total


async def rate_of(conn: Connection, user_id: int, training_id: int) -> int | None:
    rate: int | None = await conn.fetchval(
        "SELECT rate FROM ratings WHERE user_id = $1 AND training_id = $2", user_id, training_id
    )
    return rate


async def set_rate(conn: Connection, user_id: int, training_id: int, rate: int) -> None:
    await conn.execute(
        """
        INSERT INTO ratings (user_id, training_id, rate) VALUES ($1, $2, $3)
        ON CONFLICT (user_id, training_id) DO UPDATE SET rate = excluded.rate, updated_at = now()
        """,
        user_id,
        training_id,
        rate,
    )


async def clear_rate(conn: Connection, user_id: int, training_id: int) -> None:
    await conn.execute(
        "DELETE FROM ratings WHERE user_id = $1 AND training_id = $2", user_id, training_id
    )

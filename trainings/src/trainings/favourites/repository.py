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


async def remove_all(conn: Connection, user_id: int) -> int:
    """Removes every favourite of the user; how many there were."""
    removed = await conn.fetch(
        "DELETE FROM favourites WHERE user_id = $1 RETURNING training_id", user_id
    )
    return len(removed)


async def rated_by(conn: Connection, user_id: int) -> list[int]:
    """The trainings the user rated, in id order."""
    rows = await conn.fetch(
        "SELECT training_id FROM ratings WHERE user_id = $1 ORDER BY training_id", user_id
    )
    return [row["training_id"] for row in rows]


async def clear_rates_of(conn: Connection, user_id: int) -> list[int]:
    """Deletes every rating of the user (call with the trainings rated locked); the trainings
    whose totals must be recomputed."""
    rows = await conn.fetch("DELETE FROM ratings WHERE user_id = $1 RETURNING training_id", user_id)
    return sorted(row["training_id"] for row in rows)


async def ratings_of(conn: Connection, user_id: int, limit: int) -> list[asyncpg.Record]:
    """The user's ratings with the title of each training, at most `limit`, by training."""
    return await conn.fetch(
        f"""
        SELECT r.training_id, t.title, r.rate, r.updated_at
        FROM ratings r JOIN trainings t ON t.id = r.training_id
        WHERE r.user_id = $1
        ORDER BY r.training_id
        LIMIT {page_limit(limit)}
        """,
        user_id,
    )

from datetime import date, datetime
from decimal import Decimal

import asyncpg

from goals.db import Connection

# A goal with its unit from the catalogue.
_GOAL = """
    g.id, g.user_id, g.title, g.description, g.metric, m.unit, g.objective, g.progress,
    g.time_limit, g.has_image, g.created_at, g.updated_at, g.completed_at
"""


async def next_id(conn: Connection) -> int:
    """Reserves an id, so the image can be stored under it before the goal row exists."""
    goal_id: int = await conn.fetchval("SELECT nextval(pg_get_serial_sequence('goals', 'id'))")
    return goal_id


async def insert(
    conn: Connection,
    *,
    goal_id: int,
    user_id: int,
    title: str,
    description: str,
    metric: str,
    objective: Decimal,
    time_limit: date,
    has_image: bool,
    now: datetime,
) -> asyncpg.Record:
    row = await conn.fetchrow(
        f"""
        WITH g AS (
            INSERT INTO goals (id, user_id, title, description, metric, objective, time_limit,
                               has_image, created_at, updated_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)
            RETURNING *
        )
        SELECT {_GOAL} FROM g JOIN metrics AS m ON m.name = g.metric
        """,
        goal_id,
        user_id,
        title,
        description,
        metric,
        objective,
        time_limit,
        has_image,
        now,
    )
    assert row is not None
    return row


async def list_for_user(
    conn: Connection, user_id: int, offset: int, limit: int
) -> list[asyncpg.Record]:
    """Completed goals first, then in creation order; one page of them."""
    return await conn.fetch(
        f"""
        SELECT {_GOAL} FROM goals AS g JOIN metrics AS m ON m.name = g.metric
        WHERE g.user_id = $1
        ORDER BY g.completed_at IS NULL, g.id
        LIMIT $2 OFFSET $3
        """,
        user_id,
        limit,
        offset,
    )


async def lock(conn: Connection, goal_id: int, owner_id: int) -> asyncpg.Record | None:
    """The goal, locked for an edit by its owner: None when `owner_id` has no such goal."""
    return await conn.fetchrow(
        f"""
        SELECT {_GOAL} FROM goals AS g JOIN metrics AS m ON m.name = g.metric
        WHERE g.id = $1 AND g.user_id = $2
        FOR UPDATE OF g
        """,
        goal_id,
        owner_id,
    )


async def update(
    conn: Connection,
    goal_id: int,
    *,
    title: str,
    description: str,
    objective: Decimal,
    time_limit: date,
    progress: Decimal,
    completed_at: datetime | None,
    now: datetime,
) -> asyncpg.Record:
    row = await conn.fetchrow(
        f"""
        WITH g AS (
            UPDATE goals
            SET title = $2, description = $3, objective = $4, time_limit = $5, progress = $6,
                completed_at = $7, updated_at = $8
            WHERE id = $1
            RETURNING *
        )
        SELECT {_GOAL} FROM g JOIN metrics AS m ON m.name = g.metric
        """,
        goal_id,
        title,
        description,
        objective,
        time_limit,
        progress,
        completed_at,
        now,
    )
    assert row is not None
    return row


async def owner_of(conn: Connection, goal_id: int) -> int | None:
    owner: int | None = await conn.fetchval("SELECT user_id FROM goals WHERE id = $1", goal_id)
    return owner


async def delete(conn: Connection, goal_id: int, owner_id: int) -> asyncpg.Record | None:
    """Deletes `owner_id`'s goal; None when they have no such goal."""
    return await conn.fetchrow(
        "DELETE FROM goals WHERE id = $1 AND user_id = $2 RETURNING id, has_image",
        goal_id,
        owner_id,
    )

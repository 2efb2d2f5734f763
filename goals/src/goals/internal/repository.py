"""A user's data as a whole, for its erasure and its export. The goals themselves are read by
goals/repository.py (`list_for_user`)."""

import asyncpg

from goals.db import Connection


async def goals_with_images(conn: Connection, user_id: int) -> list[int]:
    """The ids of the user's goals that have an image in storage."""
    rows = await conn.fetch(
        "SELECT id FROM goals WHERE user_id = $1 AND has_image ORDER BY id", user_id
    )
    return [row["id"] for row in rows]


async def progress_of_goals(
    conn: Connection, user_id: int, goal_ids: list[int], limit: int
) -> list[asyncpg.Record]:
    """The progress log of the user's goals `goal_ids`: goal by goal in the order given, each
    goal's entries oldest first; at most `limit` entries in all."""
    return await conn.fetch(
        """
        SELECT log.goal_id, log.progress, log.delta, log.recorded_at
        FROM progress_log AS log
        JOIN unnest($2::bigint[]) WITH ORDINALITY AS wanted (goal_id, position)
          ON wanted.goal_id = log.goal_id
        WHERE log.user_id = $1
        ORDER BY wanted.position, log.recorded_at, log.id
        LIMIT $3
        """,
        user_id,
        goal_ids,
        limit,
    )


async def delete_goals(conn: Connection, user_id: int) -> list[asyncpg.Record]:
    """Deletes every goal of the user; the ids deleted, with whether each had an image."""
    return await conn.fetch("DELETE FROM goals WHERE user_id = $1 RETURNING id, has_image", user_id)


async def delete_progress(conn: Connection, user_id: int) -> int:
    """Deletes the user's whole progress log (the goals deleted earlier included); the number
    of entries deleted. The log is append-only but for the user the transaction names in
    goals.erasing_user (migration 20261204100000), so this must run in a transaction."""
    await conn.execute("SELECT set_config('goals.erasing_user', $1, true)", str(user_id))
    status = await conn.execute("DELETE FROM progress_log WHERE user_id = $1", user_id)
    return int(status.rpartition(" ")[2])

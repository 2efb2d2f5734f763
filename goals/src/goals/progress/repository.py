from datetime import datetime
from decimal import Decimal

from goals.db import Connection


async def append(
    conn: Connection,
    *,
    user_id: int,
    metric: str,
    goal_id: int,
    progress: Decimal,
    delta: Decimal,
    recorded_at: datetime,
) -> None:
    await conn.execute(
        """
        INSERT INTO progress_log (user_id, metric, goal_id, progress, delta, recorded_at)
        VALUES ($1, $2, $3, $4, $5, $6)
        """,
        user_id,
        metric,
        goal_id,
        progress,
        delta,
        recorded_at,
    )


async def progress_in_window(
    conn: Connection, user_id: int, metric: str, since: datetime, until: datetime
) -> Decimal | None:
    """The sum of the deltas in [since, until], or None when the metric is not in the catalogue."""
    row = await conn.fetchrow(
        """
        SELECT (
            SELECT coalesce(sum(log.delta), 0) FROM progress_log AS log
            WHERE log.user_id = $1 AND log.metric = metrics.name
              AND log.recorded_at >= $3 AND log.recorded_at <= $4
        ) AS progress
        FROM metrics WHERE metrics.name = $2
        """,
        user_id,
        metric,
        since,
        until,
    )
    return None if row is None else row["progress"]

"""SQL for deletions (migration 20261208100100)."""

from typing import Any

from users.db import Connection
from users.deletions.models import Deletion, Step

_COLUMNS = "user_id, requested_at, requested_by, pending, attempts, last_error, completed_at"


def _deletion(row: Any) -> Deletion:
    return Deletion(
        user_id=row["user_id"],
        requested_at=row["requested_at"],
        requested_by=row["requested_by"],
        pending=[Step(step) for step in row["pending"]],
        attempts=row["attempts"],
        last_error=row["last_error"],
        completed_at=row["completed_at"],
    )


async def insert(
    conn: Connection, user_id: int, firebase_uid: str, requested_by: int | None
) -> Deletion:
    row = await conn.fetchrow(
        "INSERT INTO deletions (user_id, firebase_uid, requested_by, pending)"
        f" VALUES ($1, $2, $3, $4) RETURNING {_COLUMNS}",
        user_id,
        firebase_uid,
        requested_by,
        [step.value for step in Step],
    )
    return _deletion(row)


async def get(conn: Connection, user_id: int) -> Deletion | None:
    row = await conn.fetchrow(f"SELECT {_COLUMNS} FROM deletions WHERE user_id = $1", user_id)
    return _deletion(row) if row else None


async def claim_due(conn: Connection, limit: int, lease: float) -> list[tuple[Deletion, str]]:
    """The deletions due now, each with its Firebase uid, claimed for `lease` seconds: another
    replica's worker skips them meanwhile (a claim that dies with its worker runs out)."""
    rows = await conn.fetch(
        "UPDATE deletions d SET next_attempt_at = now() + make_interval(secs => $2)"
        " FROM (SELECT user_id FROM deletions"
        "       WHERE completed_at IS NULL AND next_attempt_at <= now()"
        "       ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED) due"
        f" WHERE d.user_id = due.user_id RETURNING {_COLUMNS.replace('user_id', 'd.user_id')},"
        " firebase_uid",
        limit,
        lease,
    )
    return [(_deletion(row), row["firebase_uid"] or "") for row in rows]


async def settle(
    conn: Connection, user_id: int, done: list[Step], error: str | None, retry_in: float
) -> None:
    """The round's outcome: the steps done leave `pending`; a step left pending counts an
    attempt and sets when to try again. The last step done completes the deletion and clears
    the Firebase uid, the row's last trace of the person."""
    await conn.execute(
        "WITH rest AS ("
        "  SELECT ARRAY(SELECT step FROM unnest(pending) WITH ORDINALITY AS t(step, n)"
        "               WHERE step <> ALL($2::text[]) ORDER BY n) AS pending"
        "  FROM deletions WHERE user_id = $1)"
        " UPDATE deletions d SET pending = rest.pending,"
        "  attempts = attempts + (CASE WHEN $3::text IS NULL THEN 0 ELSE 1 END),"
        "  last_error = $3,"
        "  next_attempt_at = now() + make_interval(secs => $4),"
        "  completed_at = CASE WHEN cardinality(rest.pending) = 0 THEN now() END,"
        "  firebase_uid = CASE WHEN cardinality(rest.pending) = 0 THEN NULL ELSE firebase_uid END"
        " FROM rest WHERE d.user_id = $1 AND d.completed_at IS NULL",
        user_id,
        [step.value for step in done],
        error,
        retry_in,
    )


async def next_due_in(conn: Connection) -> float | None:
    """Seconds until the next pending deletion is due (None when none is pending)."""
    seconds: float | None = await conn.fetchval(
        "SELECT greatest(0, extract(epoch FROM min(next_attempt_at) - now()))::float8"
        " FROM deletions WHERE completed_at IS NULL"
    )
    return seconds

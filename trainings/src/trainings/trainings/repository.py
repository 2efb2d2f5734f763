"""SQL for trainings and their exercises. Every function takes an asyncpg connection."""

from dataclasses import dataclass
from typing import Any

import asyncpg

from trainings.db import Connection

COLUMNS = (
    "t.id, t.trainer_id, t.title, t.description, t.type_id, t.difficulty_id, t.media,"
    " t.blocked, t.rating_sum, t.rating_count"
)
# Columns PATCH may write; anything else never reaches the SQL text.
EDITABLE = frozenset({"title", "description", "type_id", "difficulty_id", "media", "blocked"})


@dataclass(frozen=True)
class Filters:
    trainer_id: int | None = None
    type_id: int | None = None
    difficulty_id: int | None = None
    title_prefix: str | None = None
    blocked: bool | None = None

    def where(self) -> tuple[str, list[Any]]:
        """A WHERE clause with only the filters given (so each combination gets its own plan
        and index), and its arguments."""
        clauses: list[str] = []
        args: list[Any] = []
        for sql, value in (
            ("t.trainer_id = {}", self.trainer_id),
            ("t.type_id = {}", self.type_id),
            ("t.difficulty_id = {}", self.difficulty_id),
            # lower(title) text_pattern_ops index; the prefix arrives with LIKE escapes.
            ("lower(t.title) LIKE lower({}) || '%'", _escape_like(self.title_prefix)),
            ("t.blocked = {}", self.blocked),
        ):
            if value is not None:
                args.append(value)
                clauses.append(sql.format(f"${len(args)}"))
        return (f"WHERE {' AND '.join(clauses)}" if clauses else ""), args


def _escape_like(text: str | None) -> str | None:
    if text is None:
        return None
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def search(
    conn: Connection, filters: Filters, offset: int, limit: int
) -> list[asyncpg.Record]:
    where, args = filters.where()
    n = len(args)
    return await conn.fetch(
        f"SELECT {COLUMNS} FROM trainings t {where}"
        f" ORDER BY t.id DESC LIMIT ${n + 1} OFFSET ${n + 2}",
        *args,
        limit,
        offset,
    )


async def count(conn: Connection, filters: Filters) -> int:
    where, args = filters.where()
    total: int = await conn.fetchval(f"SELECT count(*) FROM trainings t {where}", *args)
    return total


async def get(conn: Connection, training_id: int) -> asyncpg.Record | None:
    return await conn.fetchrow(f"SELECT {COLUMNS} FROM trainings t WHERE t.id = $1", training_id)


async def trainer_of(conn: Connection, training_id: int) -> int | None:
    trainer_id: int | None = await conn.fetchval(
        "SELECT trainer_id FROM trainings WHERE id = $1", training_id
    )
    return trainer_id


async def lock(
    conn: Connection, training_id: int, trainer_id: int | None = None
) -> asyncpg.Record | None:
    """The training, locked until the transaction ends (writers of one training queue up).

    With `trainer_id` (a trainer's own edit) only that trainer's training is found; an admin's
    moderation passes none."""
    return await conn.fetchrow(
        f"""
        SELECT {COLUMNS} FROM trainings t
        WHERE t.id = $1 AND ($2::bigint IS NULL OR t.trainer_id = $2)
        FOR UPDATE
        """,
        training_id,
        trainer_id,
    )


async def next_id(conn: Connection) -> int:
    """Reserves an id, so media can be stored under it before the row exists."""
    training_id: int = await conn.fetchval("SELECT nextval('trainings_id_seq')")
    return training_id


async def insert(
    conn: Connection,
    training_id: int,
    trainer_id: int,
    title: str,
    description: str,
    type_id: int,
    difficulty_id: int,
    media: str | None,
) -> None:
    await conn.execute(
        """
        INSERT INTO trainings (id, trainer_id, title, description, type_id, difficulty_id, media)
        VALUES ($1, $2, $3, $4, $5, $6, $7)
        """,
        training_id,
        trainer_id,
        title,
        description,
        type_id,
        difficulty_id,
        media,
    )


async def update(conn: Connection, training_id: int, changes: dict[str, Any]) -> None:
    unknown = set(changes) - EDITABLE
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    if not changes:
        return
    assignments = ", ".join(f"{column} = ${i}" for i, column in enumerate(changes, start=2))
    await conn.execute(
        f"UPDATE trainings SET {assignments}, updated_at = now() WHERE id = $1",
        training_id,
        *changes.values(),
    )


async def replace_exercises(
    conn: Connection, training_id: int, exercises: list[tuple[int, int, int | None]]
) -> None:
    """Exercises as (exercise id, count, series), in the order given."""
    await conn.execute("DELETE FROM training_exercises WHERE training_id = $1", training_id)
    await conn.executemany(
        """
        INSERT INTO training_exercises (training_id, position, exercise_id, count, series)
        VALUES ($1, $2, $3, $4, $5)
        """,
        [(training_id, position, *exercise) for position, exercise in enumerate(exercises)],
    )


async def exercises_of(
    conn: Connection, training_ids: list[int]
) -> dict[int, list[asyncpg.Record]]:
    """The exercises of many trainings in one query."""
    if not training_ids:
        return {}
    rows = await conn.fetch(
        """
        SELECT training_id, exercise_id, count, series FROM training_exercises
        WHERE training_id = ANY($1::bigint[])
        ORDER BY training_id, position
        """,
        training_ids,
    )
    found: dict[int, list[asyncpg.Record]] = {training_id: [] for training_id in training_ids}
    for row in rows:
        found[row["training_id"]].append(row)
    return found


async def refresh_rating(conn: Connection, training_id: int) -> None:
    """Recomputes the training's rating totals from its ratings (call with the row locked)."""
    await conn.execute(
        """
        UPDATE trainings SET
            rating_sum = (SELECT coalesce(sum(rate), 0) FROM ratings WHERE training_id = $1),
            rating_count = (SELECT count(*) FROM ratings WHERE training_id = $1)
        WHERE id = $1
        """,
        training_id,
    )

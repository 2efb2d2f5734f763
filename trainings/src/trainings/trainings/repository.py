"""SQL for trainings and their exercises. Every function takes an asyncpg connection."""

from dataclasses import dataclass
from typing import Any

import asyncpg

from trainings.db import Connection, conditions

COLUMNS = (
    "t.id, t.trainer_id, t.title, t.description, t.type_id, t.difficulty_id, t.media,"
    " t.blocked, t.rating_sum, t.rating_count"
)
# Columns PATCH may write; anything else never reaches the SQL text.
EDITABLE = frozenset({"title", "description", "type_id", "difficulty_id", "media", "blocked"})


# Ids per block of `training_blocks` (the migration's `id / 1024`).
BLOCK_IDS = 1024
# The longest title prefix `training_title_counts` counts (the migration's 20).
TITLE_PREFIX_COUNTED = 20


@dataclass(frozen=True)
class Filters:
    trainer_id: int | None = None
    type_id: int | None = None
    difficulty_id: int | None = None
    title_prefix: str | None = None
    blocked: bool | None = None

    def where(self, args: list[Any]) -> str:
        """The conditions on trainings `t` of the filters given only (so each combination gets
        its own plan and index), their arguments appended to `args`."""
        return conditions(
            [
                ("t.trainer_id = {}", self.trainer_id),
                ("t.type_id = {}", self.type_id),
                ("t.difficulty_id = {}", self.difficulty_id),
                # lower(title) text_pattern_ops index; the prefix arrives with LIKE escapes.
                ("lower(t.title) LIKE lower({}) || '%'", _escape_like(self.title_prefix)),
                ("t.blocked = {}", self.blocked),
            ],
            args,
        )

    def in_blocks(self) -> bool:
        """Whether `training_blocks` counts these matches (type and difficulty only), so a page
        jumps to its offset instead of walking to it."""
        return self.trainer_id is None and self.title_prefix is None and self.blocked is None


def _rows_for(columns: list[tuple[str, Any]], args: list[Any]) -> str:
    """The rows of a counts table for these values, where NULL stands for every value:
    `column = $n` for a value given (appended to `args`), `column IS NULL` for none."""
    conditions: list[str] = []
    for column, value in columns:
        if value is None:
            conditions.append(f"{column} IS NULL")
        else:
            args.append(value)
            conditions.append(f"{column} = ${len(args)}")
    return " AND ".join(conditions)


def page_limit(limit: int) -> int:
    """A page's LIMIT, written into its SQL rather than passed: as a parameter the planner must
    assume a tenth of the rows, its generic plan looks dearer than a custom one, and Postgres
    plans the statement again on every execution (which costs more than running it). Pages are
    at most 25 rows (the service caps `limit`), so a few statements per filter are prepared."""
    if not isinstance(limit, int) or not 0 <= limit <= 1000:
        raise ValueError(f"not a page size: {limit!r}")
    return limit


def _escape_like(text: str | None) -> str | None:
    if text is None:
        return None
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def search(
    conn: Connection, filters: Filters, offset: int, limit: int
) -> list[asyncpg.Record]:
    """A page, newest first. The filters `training_blocks` counts find the offset's block from
    the running sum of its blocks, newest first, and skip inside it on the index only: the cost
    of a page does not grow with its offset. The others skip on their index (a trainer's
    trainings, a title prefix: the clients do not page those far)."""
    args: list[Any] = []
    where = filters.where(args)
    if not filters.in_blocks():
        return await conn.fetch(
            f"SELECT {COLUMNS} FROM trainings t WHERE {where}"
            f" ORDER BY t.id DESC LIMIT {page_limit(limit)} OFFSET ${len(args) + 1}",
            *args,
            offset,
        )
    blocks = _rows_for(
        [("b.type_id", filters.type_id), ("b.difficulty_id", filters.difficulty_id)], args
    )
    n = len(args)
    return await conn.fetch(
        f"""
        WITH start AS (  -- the block holding the offset's row; the matches in newer blocks
            SELECT block, running - trainings AS newer
            FROM (
                SELECT block, trainings, sum(trainings) OVER (ORDER BY block DESC) AS running
                FROM training_blocks b WHERE {blocks}
            ) b
            WHERE running > ${n + 1}
            ORDER BY block DESC
            LIMIT 1
        ), first AS (  -- the page's newest id, skipped to inside that block
            SELECT t.id FROM trainings t
            WHERE {where} AND t.id < (SELECT (block + 1) * {BLOCK_IDS} FROM start)
            ORDER BY t.id DESC
            OFFSET (SELECT ${n + 1} - newer FROM start)
            LIMIT 1
        )
        SELECT {COLUMNS} FROM trainings t
        WHERE {where} AND t.id <= (SELECT id FROM first)
        ORDER BY t.id DESC
        LIMIT {page_limit(limit)}
        """,
        *args,
        offset,
    )


async def count(conn: Connection, filters: Filters) -> int:
    """All the matches, read from the counts the triggers keep exact (migration
    20261201230000_training_counts): a sum of at most 36 rows of `training_counts` for any
    trainer, type, difficulty and blocked filter; one row of `training_title_counts` for a title
    prefix alone. A title with other filters is counted on its index: with the trainer, among
    that trainer's trainings; a prefix longer than those counted, among the few it names; with a
    type, difficulty or blocked, which no client sends, among the prefix's matches."""
    args: list[Any] = []
    if filters.title_prefix is None:
        where = conditions(
            [
                ("type_id = {}", filters.type_id),
                ("difficulty_id = {}", filters.difficulty_id),
                ("blocked = {}", filters.blocked),
            ],
            args,
        )
        trainer = _rows_for([("trainer_id", filters.trainer_id)], args)
        sql = f"SELECT coalesce(sum(trainings), 0) FROM training_counts WHERE {trainer} AND {where}"
    elif (
        filters == Filters(title_prefix=filters.title_prefix)
        and len(filters.title_prefix.lower()) <= TITLE_PREFIX_COUNTED
    ):
        # Python's lower() is never shorter than Postgres' (libc maps one character to one, ICU
        # as Python does): a prefix short enough here is short enough there.
        args.append(filters.title_prefix)
        sql = (
            "SELECT coalesce(sum(trainings), 0) FROM training_title_counts WHERE prefix = lower($1)"
        )
    else:
        sql = f"SELECT count(*) FROM trainings t WHERE {filters.where(args)}"
    total: int = await conn.fetchval(sql, *args)
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
    await refresh_ratings(conn, [training_id])


async def refresh_ratings(conn: Connection, training_ids: list[int]) -> None:
    """Recomputes the rating totals of many trainings from their ratings, in one statement (call
    with the rows locked)."""
    if not training_ids:
        return
    await conn.execute(
        """
        UPDATE trainings t SET rating_sum = r.total, rating_count = r.rates
        FROM (
            SELECT ids.id, coalesce(sum(ratings.rate), 0) AS total, count(ratings.rate) AS rates
            FROM unnest($1::bigint[]) AS ids (id)
            LEFT JOIN ratings ON ratings.training_id = ids.id
            GROUP BY ids.id
        ) r
        WHERE t.id = r.id
        """,
        training_ids,
    )


async def lock_many(conn: Connection, training_ids: list[int]) -> None:
    """Locks these trainings until the transaction ends, in id order (so two writers of the
    same trainings queue up instead of deadlocking)."""
    if training_ids:
        await conn.execute(
            "SELECT FROM trainings WHERE id = ANY($1::bigint[]) ORDER BY id FOR UPDATE",
            training_ids,
        )


async def summaries(conn: Connection, training_ids: list[int]) -> list[asyncpg.Record]:
    """The id, trainer, title and blocked flag of those of these trainings that exist."""
    return await conn.fetch(
        "SELECT id, trainer_id, title, blocked FROM trainings WHERE id = ANY($1::bigint[])"
        " ORDER BY id",
        training_ids,
    )


async def media_of_trainer(conn: Connection, trainer_id: int) -> list[str]:
    """The storage object names of the media of a trainer's trainings."""
    rows = await conn.fetch(
        "SELECT media FROM trainings WHERE trainer_id = $1 AND media <> ''", trainer_id
    )
    return [row["media"] for row in rows]


async def delete_of_trainer(conn: Connection, trainer_id: int) -> list[asyncpg.Record]:
    """Deletes a trainer's trainings, with their exercises and everyone's favourites and ratings
    of them (ON DELETE CASCADE); the id and media of each deleted training."""
    return await conn.fetch(
        "DELETE FROM trainings WHERE trainer_id = $1 RETURNING id, media", trainer_id
    )

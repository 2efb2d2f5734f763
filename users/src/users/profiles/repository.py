"""SQL for the users table."""

from datetime import datetime
from itertools import islice
from typing import Any

import asyncpg

from users.db import Connection
from users.profiles.models import User

# The struct's fields, in its order: a row of them is the struct's positional arguments.
USER_COLUMNS = ", ".join(User.__struct_fields__)
_USER_WIDTH = len(User.__struct_fields__)

# The statements of the hot reads, named so that the benchmark's bare reference runs them too.
USER_BY_ID = f"SELECT {USER_COLUMNS} FROM users WHERE id = $1"
USER_BY_USERNAME = f"SELECT {USER_COLUMNS}, has_image FROM users WHERE lower(username) = lower($1)"
USER_BY_EMAIL = f"SELECT {USER_COLUMNS}, firebase_uid FROM users WHERE lower(email) = lower($1)"
# A page in id order. The offset is walked in the primary key alone (an index-only scan), then
# only the page's rows are read: a deep page skips index entries, not whole rows.
USERS_PAGE = f"""
    SELECT {USER_COLUMNS} FROM users
    WHERE id >= (SELECT id FROM users ORDER BY id OFFSET $1 LIMIT 1)
    ORDER BY id LIMIT $2
"""
# Kept exact by the triggers of migration 20261203100000 (one row, not a count of the table).
USERS_TOTAL = "SELECT total FROM user_count"


def to_user(row: asyncpg.Record) -> User:
    """A row that starts with USER_COLUMNS. Positional: asyncpg's types are already the
    struct's, and building a dict of each row would cost more than the struct itself."""
    values = row.values()
    return User(*(values if len(row) == _USER_WIDTH else islice(values, _USER_WIDTH)))


async def insert_user(
    conn: Connection, firebase_uid: str, email: str, fields: dict[str, Any], via: str
) -> User:
    row = await conn.fetchrow(
        f"""
        INSERT INTO users (firebase_uid, email, username, name, surname, height, weight,
                           birth_date, location, is_athlete, signed_up_with)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
        RETURNING {USER_COLUMNS}
        """,
        firebase_uid,
        email,
        fields["username"],
        fields["name"],
        fields["surname"],
        fields["height"],
        fields["weight"],
        fields["birth_date"],
        fields["location"],
        fields["is_athlete"],
        via,
    )
    assert row is not None
    return to_user(row)


async def get_user(conn: Connection, user_id: int) -> User | None:
    row = await conn.fetchrow(USER_BY_ID, user_id)
    return to_user(row) if row else None


async def get_user_for_update(conn: Connection, user_id: int) -> User | None:
    row = await conn.fetchrow(f"SELECT {USER_COLUMNS} FROM users WHERE id = $1 FOR UPDATE", user_id)
    return to_user(row) if row else None


async def _with_extra(
    conn: Connection, statement: str, value: str, extra: str
) -> tuple[User, Any] | None:
    row = await conn.fetchrow(statement, value)
    return (to_user(row), row[extra]) if row else None


async def get_by_username(conn: Connection, username: str) -> tuple[User, bool] | None:
    """The user (case-insensitive username) and whether they have an avatar."""
    return await _with_extra(conn, USER_BY_USERNAME, username, "has_image")


async def get_login(conn: Connection, email: str) -> tuple[User, str] | None:
    """The user (case-insensitive e-mail) and their Firebase uid."""
    return await _with_extra(conn, USER_BY_EMAIL, email, "firebase_uid")


async def firebase_uid(conn: Connection, user_id: int) -> str | None:
    uid: str | None = await conn.fetchval("SELECT firebase_uid FROM users WHERE id = $1", user_id)
    return uid


async def uid_taken(conn: Connection, firebase_uid: str) -> bool:
    found: bool = await conn.fetchval(
        "SELECT EXISTS (SELECT 1 FROM users WHERE firebase_uid = $1)", firebase_uid
    )
    return found


async def taken(conn: Connection, email: str | None, username: str | None) -> str | None:
    """Which of the two is already used by another user: "email", "username" or None."""
    row = await conn.fetchrow(
        """
        SELECT bool_or(lower(email) = lower($1)) AS email,
               bool_or(lower(username) = lower($2)) AS username
        FROM users WHERE lower(email) = lower($1) OR lower(username) = lower($2)
        """,
        email,
        username,
    )
    if row and row["email"]:
        return "email"
    if row and row["username"]:
        return "username"
    return None


async def page_of_users(conn: Connection, offset: int, limit: int) -> tuple[list[User], int]:
    rows = await conn.fetch(USERS_PAGE, offset, limit)
    total: int = await conn.fetchval(USERS_TOTAL)
    return [to_user(r) for r in rows], total


async def users_by_ids(conn: Connection, ids: list[int]) -> list[User]:
    """In the order of `ids` (unknown ids are left out)."""
    rows = await conn.fetch(f"SELECT {USER_COLUMNS} FROM users WHERE id = ANY($1::bigint[])", ids)
    by_id = {row["id"]: to_user(row) for row in rows}
    return [by_id[i] for i in ids if i in by_id]


async def update_user(conn: Connection, user_id: int, columns: dict[str, Any]) -> User | None:
    if not columns:
        return await get_user(conn, user_id)
    names = list(columns)  # keys come from the ProfileUpdate model, never from the client
    assignments = ", ".join(f"{name} = ${i}" for i, name in enumerate(names, start=2))
    row = await conn.fetchrow(
        f"UPDATE users SET {assignments}, updated_at = now() WHERE id = $1 "
        f"RETURNING {USER_COLUMNS}",
        user_id,
        *(columns[name] for name in names),
    )
    return to_user(row) if row else None


async def delete_user(conn: Connection, user_id: int) -> str | None:
    """The row and its follows (ON DELETE CASCADE), both ways: an account deletion, or the undo
    of a sign-up that failed half-way. Answers its Firebase uid (None when there was no row)."""
    uid: str | None = await conn.fetchval(
        "DELETE FROM users WHERE id = $1 RETURNING firebase_uid", user_id
    )
    return uid


async def has_image(conn: Connection, user_id: int) -> bool:
    found: bool | None = await conn.fetchval("SELECT has_image FROM users WHERE id = $1", user_id)
    return bool(found)


async def set_has_image(conn: Connection, user_id: int) -> None:
    await conn.execute("UPDATE users SET has_image = true WHERE id = $1", user_id)


async def set_blocked(conn: Connection, user_id: int, blocked: bool) -> User | None:
    row = await conn.fetchrow(
        # A block or an unblock by hand ends any suspension: the block has no end, or is over.
        f"UPDATE users SET is_blocked = $2, suspended_until = NULL, updated_at = now() "
        f"WHERE id = $1 "
        f"RETURNING {USER_COLUMNS}",
        user_id,
        blocked,
    )
    return to_user(row) if row else None


async def is_blocked(conn: Connection, user_id: int) -> bool:
    blocked: bool | None = await conn.fetchval(
        "SELECT is_blocked FROM users WHERE id = $1", user_id
    )
    return bool(blocked)


async def suspended_until(conn: Connection, user_id: int) -> datetime | None:
    until: datetime | None = await conn.fetchval(
        "SELECT suspended_until FROM users WHERE id = $1", user_id
    )
    return until


async def suspend(conn: Connection, user_id: int, days: int) -> datetime | None:
    """Blocked until `days` from now (None for an unknown user)."""
    until: datetime | None = await conn.fetchval(
        "UPDATE users SET is_blocked = true, updated_at = now(),"
        " suspended_until = now() + make_interval(days => $2)"
        " WHERE id = $1 RETURNING suspended_until",
        user_id,
        days,
    )
    return until


async def suspensions_due(conn: Connection, limit: int) -> list[int]:
    """The suspensions that have run out, the oldest first (users_suspended_until_idx)."""
    rows = await conn.fetch(
        "SELECT id FROM users WHERE suspended_until <= now() ORDER BY suspended_until LIMIT $1",
        limit,
    )
    return [row["id"] for row in rows]


async def lift_suspension(conn: Connection, user_id: int) -> datetime | None:
    """Unblocks the user if their suspension is still there and has run out; answers when it
    ran out (None when an admin changed it meanwhile: extended, made a block, lifted)."""
    until: datetime | None = await conn.fetchval(
        "UPDATE users u SET is_blocked = false, suspended_until = NULL, updated_at = now()"
        " FROM (SELECT id, suspended_until FROM users WHERE id = $1 FOR UPDATE) old"
        " WHERE u.id = old.id AND old.suspended_until <= now()"
        " RETURNING old.suspended_until",
        user_id,
    )
    return until


async def blocked_ids(conn: Connection) -> list[int]:
    """The blocked users, and every deleted one: a token issued before the deletion must never
    work again, and deleted ids are never reused."""
    rows = await conn.fetch(
        "SELECT id FROM users WHERE is_blocked UNION ALL SELECT user_id FROM deletions"
    )
    return [row["id"] for row in rows]

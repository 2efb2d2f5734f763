"""SQL for follows (follower → followed)."""

from users.db import Connection
from users.profiles.models import User
from users.profiles.repository import USER_COLUMNS, to_user

_COLUMNS = ", ".join(f"u.{c.strip()}" for c in USER_COLUMNS.split(","))


async def _related(conn: Connection, user_id: int, key: str, other: str) -> list[User]:
    rows = await conn.fetch(
        f"SELECT {_COLUMNS} FROM follows f JOIN users u ON u.id = f.{other} "
        f"WHERE f.{key} = $1 ORDER BY f.created_at, u.id",
        user_id,
    )
    return [to_user(r) for r in rows]


async def followed_by(conn: Connection, user_id: int) -> list[User]:
    """Whom `user_id` follows, oldest follow first (the primary key serves the look-up)."""
    return await _related(conn, user_id, "follower_id", "followed_id")


async def followers_of(conn: Connection, user_id: int) -> list[User]:
    """Who follows `user_id` (follows_followed_idx)."""
    return await _related(conn, user_id, "followed_id", "follower_id")


async def follow(conn: Connection, follower: int, followed: int) -> bool:
    """True when the pair is new (following twice is harmless)."""
    status = await conn.execute(
        "INSERT INTO follows (follower_id, followed_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        follower,
        followed,
    )
    return status.endswith(" 1")


async def unfollow(conn: Connection, follower: int, followed: int) -> bool:
    status = await conn.execute(
        "DELETE FROM follows WHERE follower_id = $1 AND followed_id = $2", follower, followed
    )
    return status.endswith(" 1")


async def exists(conn: Connection, user_id: int) -> bool:
    found: bool = await conn.fetchval("SELECT EXISTS (SELECT 1 FROM users WHERE id = $1)", user_id)
    return found

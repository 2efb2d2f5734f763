"""SQL for follows (follower → followed)."""

from users.db import Connection
from users.profiles.models import User
from users.profiles.repository import USER_COLUMNS, to_user

_COLUMNS = ", ".join(f"u.{c.strip()}" for c in USER_COLUMNS.split(","))


def _listing(key: str, other: str) -> str:
    """Oldest follow first. The page is cut in the follows index alone (created_at, then the
    other id, as indexed), then only its users are read; LIMIT NULL is the whole list."""
    return f"""
        WITH page AS (
            SELECT {other} AS user_id, created_at FROM follows WHERE {key} = $1
            ORDER BY created_at, {other} OFFSET $2 LIMIT $3
        )
        SELECT {_COLUMNS} FROM page JOIN users u ON u.id = page.user_id
        ORDER BY page.created_at, page.user_id
    """


# Named so that the benchmark's bare reference runs the same statements.
FOLLOWED = _listing("follower_id", "followed_id")  # follows_follower_order_idx
FOLLOWERS = _listing("followed_id", "follower_id")  # follows_followed_order_idx
USER_EXISTS = "SELECT EXISTS (SELECT 1 FROM users WHERE id = $1)"


async def followed_by(
    conn: Connection, user_id: int, offset: int = 0, limit: int | None = None
) -> list[User]:
    """Whom `user_id` follows."""
    return [to_user(r) for r in await conn.fetch(FOLLOWED, user_id, offset, limit)]


async def followers_of(
    conn: Connection, user_id: int, offset: int = 0, limit: int | None = None
) -> list[User]:
    """Who follows `user_id`."""
    return [to_user(r) for r in await conn.fetch(FOLLOWERS, user_id, offset, limit)]


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
    found: bool = await conn.fetchval(USER_EXISTS, user_id)
    return found

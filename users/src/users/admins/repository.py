"""SQL for the admins table."""

from users.admins.models import Admin, AdminLogin
from users.db import Connection


async def insert_admin(conn: Connection, firebase_uid: str, email: str, username: str) -> Admin:
    row = await conn.fetchrow(
        "INSERT INTO admins (firebase_uid, email, username) VALUES ($1, $2, $3) "
        "RETURNING id, username, email",
        firebase_uid,
        email,
        username,
    )
    assert row is not None
    return Admin.model_validate(dict(row))


async def list_admins(conn: Connection) -> list[Admin]:
    rows = await conn.fetch("SELECT id, username, email FROM admins ORDER BY id")
    return [Admin.model_validate(dict(row)) for row in rows]


async def get_login(conn: Connection, email: str) -> AdminLogin | None:
    row = await conn.fetchrow(
        "SELECT id, email, firebase_uid FROM admins WHERE lower(email) = lower($1)", email
    )
    return AdminLogin.model_validate(dict(row)) if row else None


async def taken(conn: Connection, email: str, username: str) -> bool:
    found: bool = await conn.fetchval(
        "SELECT EXISTS (SELECT 1 FROM admins WHERE lower(email) = lower($1) "
        "OR lower(username) = lower($2))",
        email,
        username,
    )
    return found


async def uid_taken(conn: Connection, firebase_uid: str) -> bool:
    found: bool = await conn.fetchval(
        "SELECT EXISTS (SELECT 1 FROM admins WHERE firebase_uid = $1)", firebase_uid
    )
    return found


async def set_firebase_uid(conn: Connection, admin_id: int, firebase_uid: str) -> None:
    await conn.execute("UPDATE admins SET firebase_uid = $2 WHERE id = $1", admin_id, firebase_uid)

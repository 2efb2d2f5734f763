"""The connection type repository functions take: one lent by the pool, which `open_pool`
opens."""

from typing import Any, TypeAlias

import asyncpg
from asyncpg import Record
from asyncpg.pool import PoolConnectionProxy

Connection: TypeAlias = "PoolConnectionProxy[Record]"

# What means "the database cannot be reached right now", answered 503 (errors.exception_handlers)
# rather than 500: Postgres unreachable or refusing connections, a dropped connection, no free
# connection in time (a TimeoutError is an OSError).
OUTAGES: tuple[type[Exception], ...] = (
    OSError,
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.CannotConnectNowError,
    asyncpg.TooManyConnectionsError,
)

# What means "this value cannot be stored", the caller's 400 (errors.exception_handlers): asyncpg
# raises DataError for a NUL or an unpaired surrogate in a text, an integer beyond int64, …
UNSTORABLE: tuple[type[Exception], ...] = (asyncpg.DataError,)


async def _keep_session(conn: object) -> None:
    """No session state to reset: this service never SETs, LISTENs, takes advisory locks or
    keeps cursors. asyncpg still rolls back a leftover transaction; skipping its RESET ALL saves
    a round trip on every release."""


async def open_pool(dsn: str, min_size: int, max_size: int) -> asyncpg.Pool:
    pool: asyncpg.Pool = await asyncpg.create_pool(
        dsn, min_size=min_size, max_size=max_size, command_timeout=10, reset=_keep_session
    )
    return pool


def conditions(clauses: list[tuple[str, Any]], args: list[Any]) -> str:
    """The clauses whose value is given, joined by AND (TRUE when none), each `{}` the
    placeholder of its value, appended to `args`. Only the filters given are in the statement,
    so each combination is its own statement with a plan on its index (one statement of
    `$n IS NULL OR column = $n` terms gets, once prepared, a generic plan that can use none)."""
    given: list[str] = []
    for sql, value in clauses:
        if value is not None:
            args.append(value)
            given.append(sql.format(f"${len(args)}"))
    return " AND ".join(given) or "TRUE"

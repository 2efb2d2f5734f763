"""The Postgres pool and what counts as the database being unreachable."""

from typing import TypeAlias

import asyncpg
from asyncpg.pool import PoolConnectionProxy

Connection: TypeAlias = "PoolConnectionProxy[asyncpg.Record]"

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
# raises DataError for a NUL, an unpaired surrogate or an integer beyond the column's range.
UNSTORABLE: tuple[type[Exception], ...] = (asyncpg.DataError,)


async def _keep_session(conn: object) -> None:
    """No session state to reset: this service never SETs a session setting, LISTENs, takes
    advisory locks or keeps cursors (the one setting it sets, goals.erasing_user, is local to
    its transaction). asyncpg still rolls back a leftover transaction; skipping its RESET ALL
    saves a round trip on every release."""


async def open_pool(dsn: str, min_size: int, max_size: int) -> asyncpg.Pool:
    pool: asyncpg.Pool = await asyncpg.create_pool(
        dsn, min_size=min_size, max_size=max_size, command_timeout=10, reset=_keep_session
    )
    return pool

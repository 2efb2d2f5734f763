"""The connection type repository functions take, and the request pool: acquisition waits at
most `USERS_DATABASE_POOL_TIMEOUT` seconds, then answers 503 instead of queueing for ever."""

import asyncio
from typing import TYPE_CHECKING, Any, TypeAlias

import asyncpg

from users.errors import ServiceUnavailable

if TYPE_CHECKING:
    from asyncpg.pool import PoolConnectionProxy

    Connection: TypeAlias = asyncpg.Connection[asyncpg.Record] | PoolConnectionProxy[asyncpg.Record]
else:
    Connection = asyncpg.Connection

BUSY = "The database is busy, try again"

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

# What means "this value cannot be stored", answered 400 (errors.exception_handlers) rather than
# 500: asyncpg raises DataError for a NUL character, an unpaired surrogate or an integer beyond
# the column's range, whatever the boundary let through.
UNSTORABLE: tuple[type[Exception], ...] = (asyncpg.DataError,)


def where(filters: dict[str, Any]) -> tuple[str, list[Any]]:
    """`column = $n AND ...` for the filters that are set (`TRUE` for none), and their values;
    the columns are the code's own names, never a caller's.
    Each combination is its own statement, so each gets a plan that uses its index; one
    statement of `$n IS NULL OR column = $n` terms gets, once prepared, a generic plan that
    can use none."""
    given = [(column, value) for column, value in filters.items() if value is not None]
    terms = [f"{column} = ${n}" for n, (column, _) in enumerate(given, start=1)]
    return " AND ".join(terms) or "TRUE", [value for _, value in given]


async def _keep_session(conn: object) -> None:
    """No session state to reset: this service never SETs, LISTENs, takes advisory locks or
    keeps cursors. asyncpg still rolls back a leftover transaction; skipping its RESET ALL saves
    a round trip on every release."""


async def open_pool(
    dsn: str, min_size: int, max_size: int, connect_timeout: float = 60.0
) -> asyncpg.Pool:
    pool: asyncpg.Pool = await asyncpg.create_pool(
        dsn,
        min_size=min_size,
        max_size=max_size,
        command_timeout=30,
        reset=_keep_session,
        timeout=connect_timeout,
    )
    return pool


class Pool:
    """What requests use. Rule: release the connection before calling another service or
    waiting on anything but Postgres (a remote call inside `acquire()` starves the pool)."""

    def __init__(self, pool: asyncpg.Pool, timeout: float) -> None:
        self.raw = pool
        self._timeout = timeout

    def acquire(self) -> "_Acquisition":
        return _Acquisition(self.raw, self._timeout)

    async def close(self) -> None:
        await self.raw.close()


class _Acquisition:
    """`async with pool.acquire() as conn`, on every request: a plain class rather than a
    generator-based context manager, and a wait for a busy pool bounded by `asyncio.timeout`,
    because asyncpg's own `acquire(timeout=)` runs the wait in a task of its own."""

    __slots__ = ("_conn", "_pool", "_timeout")
    _conn: "PoolConnectionProxy[asyncpg.Record]"

    def __init__(self, pool: asyncpg.Pool, timeout: float) -> None:
        self._pool = pool
        self._timeout = timeout

    async def __aenter__(self) -> "PoolConnectionProxy[asyncpg.Record]":
        if not self._pool._queue.empty():  # type: ignore[attr-defined]
            # A pooled connection is free, so this acquire waits for no other request: no
            # timer (asyncio.timeout cost about 2% of a cheap read). Should it open a new
            # connection, the pool's connect timeout, the same bound, limits that. The pool's
            # queue of free holders is read directly: `get_idle_size()` walks every holder.
            self._conn = await self._pool.acquire()
            return self._conn
        try:
            async with asyncio.timeout(self._timeout):
                self._conn = await self._pool.acquire()
        except TimeoutError as error:
            raise ServiceUnavailable(BUSY, headers={"Retry-After": "1"}) from error
        return self._conn

    async def __aexit__(self, *_: object) -> None:
        await self._pool.release(self._conn)

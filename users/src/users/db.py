"""The connection type repository functions take, and the request pool: acquisition waits at
most `USERS_DATABASE_POOL_TIMEOUT` seconds, then answers 503 instead of queueing for ever."""

import asyncio
from collections import deque
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


async def _keep_session(conn: object) -> None:
    """No session state to reset: this service never SETs, LISTENs, takes advisory locks or
    keeps cursors. asyncpg still rolls back a leftover transaction; skipping its RESET ALL saves
    a round trip on every release."""


async def open_pool(dsn: str, min_size: int, max_size: int) -> asyncpg.Pool:
    pool: asyncpg.Pool = await asyncpg.create_pool(
        dsn, min_size=min_size, max_size=max_size, command_timeout=30, reset=_keep_session
    )
    return pool


class _Wait:
    """One request waiting for a connection, until `deadline` (the loop's clock)."""

    __slots__ = ("deadline", "expired", "task")

    def __init__(self, deadline: float, task: "asyncio.Task[Any] | None") -> None:
        self.deadline = deadline
        self.task = task  # None once the wait is over
        self.expired = False


class Pool:
    """What requests use. Rule: release the connection before calling another service or
    waiting on anything but Postgres (a remote call inside `acquire()` starves the pool).

    Every wait for a connection is bounded, by one timer for the whole pool rather than one per
    request: the waits queue in arrival order, so in deadline order, and the timer, armed for the
    oldest, cancels every wait past its deadline and re-arms for the next. `asyncio.timeout`
    would arm and cancel a timer on every request, about 5% of a cheap read's CPU."""

    def __init__(self, pool: asyncpg.Pool, timeout: float) -> None:
        self.raw = pool
        self.timeout = timeout
        self._waits: deque[_Wait] = deque()
        self._timer: asyncio.TimerHandle | None = None

    def acquire(self) -> "_Acquisition":
        return _Acquisition(self)

    async def close(self) -> None:
        await self.raw.close()

    def _begin(self) -> _Wait:
        loop = asyncio.get_running_loop()
        wait = _Wait(loop.time() + self.timeout, asyncio.current_task())
        self._waits.append(wait)
        if self._timer is None:
            self._timer = loop.call_at(wait.deadline, self._expire)
        return wait

    def _expire(self) -> None:
        self._timer = None
        waits = self._waits
        now = asyncio.get_running_loop().time()
        while waits and (waits[0].task is None or waits[0].deadline <= now):
            wait = waits.popleft()
            if wait.task is not None:
                wait.expired = True
                wait.task.cancel()
        if waits:
            self._timer = asyncio.get_running_loop().call_at(waits[0].deadline, self._expire)


class _Acquisition:
    """`async with pool.acquire() as conn`, on every request: a plain class rather than a
    generator-based context manager, and the wait bounded by the pool's timer rather than
    asyncpg's own `acquire(timeout=)`, which runs the wait in a task of its own."""

    __slots__ = ("_conn", "_pool")

    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    async def __aenter__(self) -> "PoolConnectionProxy[asyncpg.Record]":
        wait = self._pool._begin()
        try:
            self._conn: PoolConnectionProxy[asyncpg.Record] = await self._pool.raw.acquire()
        except asyncio.CancelledError:
            if not wait.expired:
                raise
            if wait.task is not None:
                wait.task.uncancel()  # the timer's cancellation ends here, as a 503
            raise ServiceUnavailable(BUSY, headers={"Retry-After": "1"}) from None
        finally:
            wait.task = None
        return self._conn

    async def __aexit__(self, *_: object) -> None:
        await self._pool.raw.release(self._conn)

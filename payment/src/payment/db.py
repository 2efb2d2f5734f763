"""The `Connection` type repository functions take, the asyncpg pool, the advisory locks that
serialise work across replicas, the `OUTAGES` that answer 503 and the `UNSTORABLE` values
that answer 400."""

import asyncio
import logging
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import TypeAlias, TypeVar

import asyncpg
from asyncpg.pool import PoolConnectionProxy
from litestar.exceptions import NotFoundException

from payment.errors import ServiceUnavailable

log = logging.getLogger(__name__)

Connection: TypeAlias = "asyncpg.Connection[asyncpg.Record] | PoolConnectionProxy[asyncpg.Record]"
T = TypeVar("T")

# First key of the two-key advisory lock space: one namespace per kind of resource.
ACCOUNT_LOCK = 20_001
DEPLOY_LOCK = 20_002
WITHDRAWAL_LOCK = 20_003

# What means "the database cannot be reached right now", answered 503 "Database unavailable"
# (errors.exception_handlers) rather than 500: Postgres unreachable or refusing connections
# (a TimeoutError is an OSError), a dropped connection, a server out of connection slots.
OUTAGES: tuple[type[Exception], ...] = (
    OSError,
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.CannotConnectNowError,
    asyncpg.TooManyConnectionsError,
)


# A value Postgres cannot store (a NUL, a number beyond its column): the caller's 400
# (errors.exception_handlers' `unstorable`), never a 500. The routes bound what they take, so
# this is the last line.
UNSTORABLE: tuple[type[Exception], ...] = (asyncpg.DataError,)


async def create_pool(url: str, min_size: int, max_size: int) -> asyncpg.Pool:
    return await asyncpg.create_pool(
        url, min_size=min_size, max_size=max_size, command_timeout=30, reset=_reset
    )


# Per server pid, the session advisory locks a pooled connection may hold (taken, not yet seen
# released): only such a connection needs a query on its way back to the pool.
_LOCKING: Counter[int] = Counter()


async def _reset(conn: "asyncpg.Connection[asyncpg.Record]") -> None:
    """Readies a released connection for its next user. asyncpg has already rolled back any
    open transaction; of the rest of its default reset (a round trip on every release) only
    the advisory locks concern this service, which sets no session state, opens no cursor
    and listens to nothing: a lock that `advisory_lock` could not release (its release was
    cancelled or failed) is released here."""
    pid = conn.get_server_pid()
    if _LOCKING[pid]:
        await conn.execute("SELECT pg_advisory_unlock_all()")
    del _LOCKING[pid]


@asynccontextmanager
async def connection(pool: asyncpg.Pool) -> AsyncIterator[Connection]:
    try:
        async with pool.acquire() as conn:
            yield conn
    except (OSError, asyncpg.CannotConnectNowError, asyncpg.TooManyConnectionsError) as error:
        raise ServiceUnavailable("Database unavailable") from error


async def found(
    pool: asyncpg.Pool,
    read: Callable[[Connection, int], Awaitable[T | None]],
    key: int,
    missing: str,
) -> T:
    """What ``read`` finds by the id ``key``, else 404 ``missing`` (also for an id beyond the
    positive bigints, which no row has)."""
    if not 1 <= key < 2**63:
        raise NotFoundException(missing)
    async with connection(pool) as conn:
        row = await read(conn, key)
    if row is None:
        raise NotFoundException(missing)
    return row


@asynccontextmanager
async def advisory_lock(conn: Connection, namespace: int, name: str) -> AsyncIterator[None]:
    """A session lock on (namespace, name): held until released or the connection dies, so a
    crashed replica never keeps it, and a pooled connection never goes back to the pool with
    it (`_reset`)."""
    pid = conn.get_server_pid()
    _LOCKING[pid] += 1  # before the call: a cancelled wait may still have taken the lock
    await conn.execute("SELECT pg_advisory_lock($1, hashtext($2))", namespace, name)
    try:
        yield
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1, hashtext($2))", namespace, name)
        _LOCKING[pid] -= 1


# The releases `locked` left running, kept until they end (a task nobody refers to may vanish).
_RELEASES: set[asyncio.Task[None]] = set()


@asynccontextmanager
async def locked(pool: asyncpg.Pool, namespace: int, name: str) -> AsyncIterator[Connection]:
    """A pooled connection holding the session lock (namespace, name), as `advisory_lock`,
    except that on a clean exit the lock is released and the connection goes back to the pool
    in the background: the holder goes on at once (to the node, for its receipt), and the next
    holder's wait for the lock ends in Postgres when the release has run. On an exception the
    release is awaited."""
    conn = await pool.acquire()
    owned = True  # by this block, until the release takes it over
    try:
        pid = conn.get_server_pid()
        _LOCKING[pid] += 1  # before the call: a cancelled wait may still have taken the lock
        await conn.execute("SELECT pg_advisory_lock($1, hashtext($2))", namespace, name)
        try:
            yield conn
        except BaseException:
            await conn.execute("SELECT pg_advisory_unlock($1, hashtext($2))", namespace, name)
            _LOCKING[pid] -= 1
            raise
        release = asyncio.create_task(_release(pool, conn, namespace, name))
        _RELEASES.add(release)
        release.add_done_callback(_RELEASES.discard)
        owned = False
    finally:
        if owned:
            await pool.release(conn)


async def _release(
    pool: asyncpg.Pool, conn: "PoolConnectionProxy[asyncpg.Record]", namespace: int, name: str
) -> None:
    """`locked`'s release: the unlock, then the connection back to the pool (whose reset
    releases the lock if the unlock failed)."""
    pid = conn.get_server_pid()
    try:
        await conn.execute("SELECT pg_advisory_unlock($1, hashtext($2))", namespace, name)
        _LOCKING[pid] -= 1
    except Exception:
        log.warning("advisory lock release failed; the pool's reset releases it", exc_info=True)
    finally:
        await pool.release(conn)

"""The Postgres pool and what counts as the database being unreachable."""

import asyncio
from typing import TypeAlias

import asyncpg
from asyncpg.pool import PoolConnectionProxy

Connection: TypeAlias = "PoolConnectionProxy[asyncpg.Record]"

# Failures that mean "the database is not there right now" (answered 503), not a bug.
OUTAGES: tuple[type[BaseException], ...] = (
    OSError,
    asyncio.TimeoutError,
    asyncpg.PostgresConnectionError,
    asyncpg.CannotConnectNowError,
    asyncpg.TooManyConnectionsError,
    asyncpg.ConnectionDoesNotExistError,
)


async def _keep_session(conn: object) -> None:
    """No session state to reset: this service never SETs, LISTENs, takes advisory locks or
    keeps cursors. asyncpg still rolls back a leftover transaction; skipping its RESET ALL saves
    a round trip on every release."""


async def open_pool(dsn: str, min_size: int, max_size: int) -> asyncpg.Pool:
    pool: asyncpg.Pool = await asyncpg.create_pool(
        dsn, min_size=min_size, max_size=max_size, command_timeout=10, reset=_keep_session
    )
    return pool

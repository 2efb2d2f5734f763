"""The connection type repository functions take: one lent by the pool."""

from typing import TypeAlias

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

"""The connection type repository functions take: one lent by the pool."""

from typing import TypeAlias

from asyncpg import Record
from asyncpg.pool import PoolConnectionProxy

Connection: TypeAlias = "PoolConnectionProxy[Record]"

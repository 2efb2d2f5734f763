import asyncpg

from goals.db import Connection


async def list_metrics(conn: Connection) -> list[asyncpg.Record]:
    return await conn.fetch("SELECT name, unit FROM metrics ORDER BY position, name")


async def unit_of(conn: Connection, metric: str) -> str | None:
    unit: str | None = await conn.fetchval("SELECT unit FROM metrics WHERE name = $1", metric)
    return unit

"""The catalogue tables, loaded by the migration and read once at start-up."""

import asyncpg

from trainings.db import Connection


async def fetch_types(conn: Connection) -> list[asyncpg.Record]:
    return await conn.fetch("SELECT id, name FROM training_types ORDER BY id")


async def fetch_difficulties(conn: Connection) -> list[asyncpg.Record]:
    return await conn.fetch("SELECT id, name FROM difficulties ORDER BY id")


async def fetch_exercises(conn: Connection) -> list[asyncpg.Record]:
    return await conn.fetch("SELECT id, name, type_id, unit FROM exercises ORDER BY id")

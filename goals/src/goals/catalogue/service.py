"""The metric catalogue, read from the metrics table (loaded by a migration)."""

import asyncpg

from goals.catalogue import repository
from goals.catalogue.models import Metric


async def metrics(pool: asyncpg.Pool) -> list[Metric]:
    async with pool.acquire() as conn:
        rows = await repository.list_metrics(conn)
    return [Metric(name=row["name"], unit=row["unit"]) for row in rows]

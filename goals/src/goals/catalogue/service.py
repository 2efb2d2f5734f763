"""The metric catalogue, read from the metrics table (loaded by a migration)."""

from goals.catalogue import repository
from goals.catalogue.models import Metric
from goals.services import Services


async def metrics(services: Services) -> list[Metric]:
    async with services.pool.acquire() as conn:
        rows = await repository.list_metrics(conn)
    return [Metric(name=row["name"], unit=row["unit"]) for row in rows]

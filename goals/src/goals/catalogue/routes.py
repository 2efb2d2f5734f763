import asyncpg
from litestar import get
from litestar.di import NamedDependency
from pydantic import BaseModel

from goals.catalogue import repository
from goals.security import AuthenticatedController


class Metric(BaseModel):
    name: str
    unit: str


class CatalogueController(AuthenticatedController):
    path = "/goals"
    tags = ("catalogue",)

    @get("/metrics", summary="The metrics a goal can be set against (any valid token)")
    async def metrics(self, db: NamedDependency[asyncpg.Pool]) -> list[Metric]:
        async with db.acquire() as conn:
            rows = await repository.list_metrics(conn)
        return [Metric(name=row["name"], unit=row["unit"]) for row in rows]

"""The ceiling `make bench` holds `GET /metrics?name=` to: a bare Litestar app (the same
Litestar, served by bench/wrk.py's `serve` with the same uvicorn settings) answering with the
service's own repository function, so the same queries on the same MongoDB client
(`metrics.db.mongo_client`), and returning the rows as they come. No token, no middleware, no
parameter parsing: what is left is the framework, the driver and the database.

    uvicorn --factory bench.reference:create_app   (METRICS_* name the database, as for the service)
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from litestar import Litestar, get
from litestar.datastructures import State

from metrics.counters import repository
from metrics.counters.models import LabelCount, Window
from metrics.db import mongo_client, rollups
from metrics.settings import Settings

PREFIX = "/bare"


@get(f"{PREFIX}/healthcheck")
async def healthcheck() -> dict[str, bool]:
    return {"ok": True}


@get(f"{PREFIX}/metrics")
async def counts(state: State, name: str) -> list[LabelCount]:
    return await repository.counts_by_label(state.rollups, name, Window())


def create_app() -> Litestar:
    settings = Settings()  # type: ignore[call-arg]  # the environment names the database

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        client = mongo_client(settings)
        app.state.rollups = rollups(client, settings)
        try:
            yield
        finally:
            await client.close()

    return Litestar(
        route_handlers=[healthcheck, counts],
        lifespan=[lifespan],
        openapi_config=None,
        logging_config=None,
    )

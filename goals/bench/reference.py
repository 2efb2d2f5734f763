"""The ceiling `make bench` holds goals to: a bare Litestar app (the same Litestar, served by
bench/wrk.py's `serve` with the same uvicorn settings) answering each benchmarked read with the
service's own repository function, so the same SQL on the same pool (`goals.db.open_pool`), and
returning the rows as they come. No token, no middleware, no models: what is left is the
framework, the driver and the database.

    uvicorn --factory bench.reference:create_app   (GOALS_DATABASE_URL names the database)
"""

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

from litestar import Litestar, get
from litestar.datastructures import State

from goals.db import open_pool
from goals.goals import repository as goals
from goals.progress import repository as progress
from goals.progress.window import window

PREFIX = "/bare"


@get(f"{PREFIX}/healthcheck")
async def healthcheck() -> dict[str, bool]:
    return {"ok": True}


@get(f"{PREFIX}/{{user_id:int}}")
async def list_goals(
    state: State, user_id: int, offset: int = 0, limit: int = 100
) -> list[dict[str, Any]]:
    async with state.pool.acquire() as conn:
        rows = await goals.list_for_user(conn, user_id, offset, limit)
    return [dict(row) for row in rows]


@get(f"{PREFIX}/{{user_id:int}}/metricsProgress/{{metric:str}}")
async def metric_progress(state: State, user_id: int, metric: str, days: int = 7) -> dict[str, Any]:
    since, until = window(datetime.now(UTC), days)
    async with state.pool.acquire() as conn:
        total = await progress.progress_in_window(conn, user_id, metric, since, until)
    return {"progress": total}


def create_app() -> Litestar:
    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        # The service's pool settings (GOALS_DATABASE_POOL_MIN/_MAX defaults).
        app.state.pool = await open_pool(os.environ["GOALS_DATABASE_URL"], 1, 10)
        try:
            yield
        finally:
            await app.state.pool.close()

    return Litestar(
        route_handlers=[healthcheck, list_goals, metric_progress],
        lifespan=[lifespan],
        openapi_config=None,
        logging_config=None,
    )

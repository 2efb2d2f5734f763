"""The ceiling `make bench` holds trainings to: a bare Litestar app (the same Litestar, served by
bench/wrk.py's `serve` with the same uvicorn settings) answering each benchmarked read with the
service's own SQL (its repository functions, called as the service calls them) on a pool of the
service's default size, and returning the rows as they come. No token, no middleware, no
models, no media: what is left is the framework, the driver and the database.

    uvicorn --factory bench.reference:create_app   (TRAININGS_DATABASE_URL names the database)
"""

import os
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
from litestar import Litestar, get
from litestar.datastructures import State
from litestar.exceptions import NotFoundException

from trainings.db import Connection, open_pool
from trainings.favourites import repository as favourites
from trainings.settings import Settings
from trainings.trainings import repository
from trainings.trainings.repository import Filters
from trainings.trainings.service import page_rows, parse_trainer_id

PREFIX = "/bare"


@get(f"{PREFIX}/healthcheck")
async def healthcheck() -> dict[str, bool]:
    return {"ok": True}


async def _page(
    state: State,
    offset: int,
    limit: int,
    rows_of: Callable[[Connection], Awaitable[list[asyncpg.Record]]],
    count_of: Callable[[Connection], Awaitable[int]],
) -> dict[str, Any]:
    async with state.pool.acquire() as conn:
        rows, total, exercises = await page_rows(conn, offset, limit, rows_of, count_of)
    items = [{**row, "exercises": [dict(e) for e in exercises[row["id"]]]} for row in rows]
    return {"items": items, "offset": offset, "limit": limit, "count": total}


@get(f"{PREFIX}/trainings")
async def search(
    state: State,
    title: str | None = None,
    training_type: str | None = None,
    difficulty: str | None = None,
    trainer_id: str | None = None,
    offset: int = 0,
    limit: int = 10,
) -> dict[str, Any]:
    filters = Filters(
        trainer_id=parse_trainer_id(trainer_id),
        type_id=state.types[training_type] if training_type else None,
        difficulty_id=state.difficulties[difficulty] if difficulty else None,
        title_prefix=title or None,
    )
    return await _page(
        state,
        offset,
        limit,
        lambda conn: repository.search(conn, filters, offset, limit),
        lambda conn: repository.count(conn, filters),
    )


@get(f"{PREFIX}/trainings/{{training_id:int}}")
async def read(state: State, training_id: int) -> dict[str, Any]:
    async with state.pool.acquire() as conn:
        row = await repository.get(conn, training_id)
        if row is None:
            raise NotFoundException()
        exercises = await repository.exercises_of(conn, [training_id])
    return {**row, "exercises": [dict(e) for e in exercises[training_id]]}


@get(f"{PREFIX}/users/{{user_id:int}}/trainings")
async def liked(state: State, user_id: int, offset: int = 0, limit: int = 10) -> dict[str, Any]:
    return await _page(
        state,
        offset,
        limit,
        lambda conn: favourites.page(conn, user_id, offset, limit),
        lambda conn: favourites.count(conn, user_id),
    )


def create_app() -> Litestar:
    fields = Settings.model_fields

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        # The service's pool, as app.py opens it with the default settings.
        app.state.pool = await open_pool(
            os.environ["TRAININGS_DATABASE_URL"],
            fields["database_pool_min"].default,
            fields["database_pool_max"].default,
        )
        async with app.state.pool.acquire() as conn:
            app.state.types = dict(await conn.fetch("SELECT name, id FROM training_types"))
            app.state.difficulties = dict(await conn.fetch("SELECT name, id FROM difficulties"))
        try:
            yield
        finally:
            await app.state.pool.close()

    return Litestar(
        route_handlers=[healthcheck, search, read, liked],
        lifespan=[lifespan],
        openapi_config=None,
        logging_config=None,
    )

"""The ceiling `make bench` holds users to: a bare Litestar app (the same Litestar, served by
bench/wrk.py's `serve` with the same uvicorn settings) answering each benchmarked read with the
service's own SQL (the statements its repositories name) on the service's pool (`db.open_pool`,
of the default size), and returning the rows as they come. No token, no middleware, no models:
what is left is the framework, the driver and the database.

    uvicorn --factory bench.reference:create_app   (USERS_DATABASE_URL names the database)
"""

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from litestar import Litestar, get
from litestar.datastructures import State
from litestar.exceptions import NotFoundException

from users.db import open_pool
from users.follows import repository as follows
from users.pagination import envelope
from users.profiles import repository as profiles
from users.settings import Settings

PREFIX = "/bare"


@get(f"{PREFIX}/healthcheck")
async def healthcheck() -> dict[str, bool]:
    return {"ok": True}


@get(f"{PREFIX}/users/{{user_id:int}}")
async def read(state: State, user_id: int) -> dict[str, Any]:
    row = await state.pool.fetchrow(profiles.USER_BY_ID, user_id)
    if row is None:
        raise NotFoundException()
    return dict(row)


@get(f"{PREFIX}/users")
async def search(
    state: State, username: str | None = None, offset: int = 0, limit: int = 10
) -> dict[str, Any]:
    async with state.pool.acquire() as conn:
        if username is not None:
            row = await conn.fetchrow(profiles.USER_BY_USERNAME, username)
            if row is None:
                raise NotFoundException()
            return dict(row)
        rows = await conn.fetch(profiles.USERS_PAGE, offset, limit)
        total = await conn.fetchval(profiles.USERS_TOTAL)
    return {"items": [dict(r) for r in rows], **envelope(len(rows), total, offset, limit)}


async def _listing(
    state: State, statement: str, user_id: int, offset: int, limit: int | None
) -> list[dict[str, Any]]:
    async with state.pool.acquire() as conn:
        rows = await conn.fetch(statement, user_id, offset, limit)
        if not rows and not await conn.fetchval(follows.USER_EXISTS, user_id):
            raise NotFoundException()
    return [dict(r) for r in rows]


@get(f"{PREFIX}/users/{{user_id:int}}/followers")
async def followers(
    state: State, user_id: int, offset: int = 0, limit: int | None = None
) -> list[dict[str, Any]]:
    return await _listing(state, follows.FOLLOWERS, user_id, offset, limit)


@get(f"{PREFIX}/users/{{user_id:int}}/followed")
async def followed(
    state: State, user_id: int, offset: int = 0, limit: int | None = None
) -> list[dict[str, Any]]:
    return await _listing(state, follows.FOLLOWED, user_id, offset, limit)


def create_app() -> Litestar:
    fields = Settings.model_fields

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        # The service's pool (db.open_pool), of the default size.
        app.state.pool = await open_pool(
            os.environ["USERS_DATABASE_URL"],
            fields["database_pool_min"].default,
            fields["database_pool_max"].default,
        )
        try:
            yield
        finally:
            await app.state.pool.close()

    return Litestar(
        route_handlers=[healthcheck, read, search, followers, followed],
        lifespan=[lifespan],
        openapi_config=None,
        logging_config=None,
    )

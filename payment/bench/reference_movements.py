"""The movements list's ceiling for bench_movements.py: a bare Litestar app (same versions, the
same uvicorn settings through bench/wrk.py's `serve`) that runs the service's own page SQL
(`ledger.repository.page`) on the database named by PAYMENT_DATABASE_URL and answers the rows
as plain JSON: no credential check, no pydantic, no middleware."""

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
from litestar import Litestar, get

from payment.ledger import repository as ledger
from payment.ledger.repository import Filters

_pools: list[asyncpg.Pool] = []


@get("/payment/transactions")
async def transactions(
    offset: int = 0,
    limit: int = 10,
    address: str | None = None,
    user_id: int | None = None,
    kind: str | None = None,
    min_wei: int | None = None,
) -> dict[str, Any]:
    where = Filters(address=address, user_id=user_id, kind=kind, min_wei=min_wei)
    async with _pools[0].acquire() as conn:
        rows, total = await ledger.page(conn, where, offset, limit)
    items = [
        {
            "id": row.id,
            "kind": row.kind,
            "sender_address": row.sender_address,
            "receiver_address": row.receiver_address,
            "amount": str(row.amount_wei),
            "status": row.status,
            "created_at": row.created_at.isoformat(),
        }
        for row in rows
    ]
    return {"items": items, "total": total, "offset": offset, "limit": limit}


@get("/ready")
async def ready() -> str:
    return "ok"


@asynccontextmanager
async def lifespan(_: Litestar) -> AsyncIterator[None]:
    _pools.append(await asyncpg.create_pool(os.environ["PAYMENT_DATABASE_URL"], max_size=10))
    try:
        yield
    finally:
        await _pools.pop().close()


def create_app() -> Litestar:
    return Litestar([transactions, ready], lifespan=[lifespan])

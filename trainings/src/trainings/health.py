"""Liveness (no dependency checks) and readiness (Postgres, Redis, authentication answer)."""

import time
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
from litestar import Controller, Request, get
from litestar.response import Response
from redis.exceptions import RedisError

from trainings.errors import ServiceUnavailable


async def _postgres(request: Request[Any, Any, Any]) -> None:
    pool: asyncpg.Pool = request.app.state.pool
    async with pool.acquire(timeout=2) as conn:
        await conn.fetchval("SELECT 1")


async def _redis(request: Request[Any, Any, Any]) -> None:
    await request.app.state.redis.ping()


async def _storage(request: Request[Any, Any, Any]) -> None:
    await request.app.state.media.ping()


CHECKS: dict[str, Callable[[Request[Any, Any, Any]], Awaitable[None]]] = {
    "postgres": _postgres,
    "redis": _redis,
    "authentication": _storage,
}


class HealthController(Controller):
    path = "/trainings"
    tags = ("health",)

    @get("/healthcheck/")
    async def healthcheck(self, request: Request[Any, Any, Any]) -> dict[str, float]:
        return {"uptime": time.monotonic() - request.app.state.started_at}

    @get("/readiness/")
    async def readiness(self, request: Request[Any, Any, Any]) -> Response[dict[str, object]]:
        checks: dict[str, str] = {}
        for name, check in CHECKS.items():
            try:
                await check(request)
                checks[name] = "ok"
            except ServiceUnavailable as error:
                checks[name] = str(error.detail)
            except (RedisError, asyncpg.PostgresError, asyncpg.InterfaceError, OSError) as error:
                checks[name] = f"{type(error).__name__}: {error}"
        ready = all(value == "ok" for value in checks.values())
        return Response({"ready": ready, "checks": checks}, status_code=200 if ready else 503)

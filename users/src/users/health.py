"""Liveness (no dependency checks) and readiness (Postgres, Redis, MongoDB answer)."""

import time
from typing import Any

from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.exceptions import HTTPException
from litestar.response import Response
from redis.exceptions import RedisError

from users.services import Services


class HealthController(Controller):
    path = "/users"
    tags = ("health",)

    @get("/healthcheck/")
    async def healthcheck(self, request: Request[Any, Any, Any]) -> dict[str, float]:
        return {"uptime": time.monotonic() - request.app.state.started_at}

    @get("/readiness/")
    async def readiness(self, services: NamedDependency[Services]) -> Response[dict[str, object]]:
        checks: dict[str, str] = {}
        try:
            async with services.pool.acquire() as conn:
                await conn.fetchval("SELECT 1")
            checks["postgres"] = "ok"
        except Exception as error:
            checks["postgres"] = f"unavailable: {error.__class__.__name__}"
        try:
            await services.redis.ping()
            checks["redis"] = "ok"
        except (RedisError, OSError) as error:
            checks["redis"] = f"unavailable: {error.__class__.__name__}"
        try:
            await services.positions.ping()
            checks["mongo"] = "ok"
        except HTTPException as error:
            checks["mongo"] = str(error.detail)
        ready = all(value == "ok" for value in checks.values())
        return Response({"ready": ready, "checks": checks}, status_code=200 if ready else 503)

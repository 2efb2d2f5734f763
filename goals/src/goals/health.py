"""Liveness (no dependency checks) and readiness (Postgres, Redis and authentication answer)."""

import time
from collections.abc import Awaitable, Callable
from typing import Any

from litestar import Controller, Request, get
from litestar.response import Response


async def _postgres(request: Request[Any, Any, Any]) -> None:
    async with request.app.state.db.acquire(timeout=2) as conn:
        await conn.fetchval("SELECT 1")


async def _redis(request: Request[Any, Any, Any]) -> None:
    await request.app.state.redis.ping()


async def _authentication(request: Request[Any, Any, Any]) -> None:
    settings = request.app.state.settings
    response = await request.app.state.http.get(f"{settings.auth_url}/auth/healthcheck/")
    response.raise_for_status()


_CHECKS: dict[str, Callable[[Request[Any, Any, Any]], Awaitable[None]]] = {
    "postgres": _postgres,
    "redis": _redis,
    "authentication": _authentication,
}


class HealthController(Controller):
    path = "/goals"
    tags = ("health",)

    @get("/healthcheck/")
    async def healthcheck(self, request: Request[Any, Any, Any]) -> dict[str, float]:
        return {"uptime": time.monotonic() - request.app.state.started_at}

    @get("/readiness/")
    async def readiness(self, request: Request[Any, Any, Any]) -> Response[dict[str, object]]:
        checks: dict[str, str] = {}
        for name, check in _CHECKS.items():
            try:
                await check(request)
                checks[name] = "ok"
            except Exception as error:  # any failure means "not ready", reported by name
                checks[name] = f"unavailable: {type(error).__name__}"
        ready = all(value == "ok" for value in checks.values())
        return Response({"ready": ready, "checks": checks}, status_code=200 if ready else 503)

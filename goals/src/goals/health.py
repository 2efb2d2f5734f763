"""Liveness (no dependency checks) and readiness (readiness.py runs the checks).

Readiness fails (503) only when this service's own database does not answer: without it no
request can be served. Redis (blocked users, the event stream) and authentication (JWKS, images)
are softer: requests keep working on cached keys and blocked users, and events wait in the
outbox. Their state is reported in the body and in the `fiufit_goals_dependency_up` gauge, so an
outage of theirs alerts without pulling every goals pod out of its Service at once.
"""

import time
from typing import Any

from litestar import Controller, Request, get
from litestar.response import Response

from goals.readiness import Readiness


async def _postgres(request: Request[Any, Any, Any]) -> None:
    async with request.app.state.db.acquire(timeout=2) as conn:
        await conn.fetchval("SELECT 1")


async def _redis(request: Request[Any, Any, Any]) -> None:
    await request.app.state.redis.ping()


async def _authentication(request: Request[Any, Any, Any]) -> None:
    settings = request.app.state.settings
    response = await request.app.state.http.get(f"{settings.auth_url}/auth/healthcheck/")
    response.raise_for_status()


READINESS = Readiness(
    "goals",
    required={"postgres": _postgres},
    soft={"redis": _redis, "authentication": _authentication},
)


class HealthController(Controller):
    path = "/goals"
    tags = ("health",)

    @get("/healthcheck/")
    async def healthcheck(self, request: Request[Any, Any, Any]) -> dict[str, float]:
        return {"uptime": time.monotonic() - request.app.state.started_at}

    @get("/readiness/")
    async def readiness(self, request: Request[Any, Any, Any]) -> Response[dict[str, object]]:
        return await READINESS.answer(request)

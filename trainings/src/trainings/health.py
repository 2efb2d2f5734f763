"""Liveness (no dependency checks) and readiness.

Readiness fails (503) only when this service's own database does not answer: without it no
request can be served. Redis (blocked users, the event stream) and authentication (JWKS, media)
are softer: searches and reads keep working on cached keys and the last known blocked users,
and events wait in the outbox. Their state is reported in the body and in the
`fiufit_trainings_dependency_up` gauge, so an outage of theirs alerts without pulling every
trainings pod out of its Service at once. The body never carries exception text (it is public
through the gateway); the log does.
"""

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
from litestar import Controller, Request, get
from litestar.response import Response
from prometheus_client import Gauge

log = logging.getLogger(__name__)

# A readiness probe gives up after 5 s (deployment.yaml): every check answers well before.
CHECK_TIMEOUT = 3.0

DEPENDENCY_UP = Gauge(
    "fiufit_trainings_dependency_up",
    "1 when the dependency answered the last readiness check, else 0",
    ["dependency"],
)


async def _postgres(request: Request[Any, Any, Any]) -> None:
    pool: asyncpg.Pool = request.app.state.pool
    async with pool.acquire(timeout=2) as conn:
        await conn.fetchval("SELECT 1")


async def _redis(request: Request[Any, Any, Any]) -> None:
    await request.app.state.redis.ping()


async def _storage(request: Request[Any, Any, Any]) -> None:
    await request.app.state.media.ping()


Check = Callable[[Request[Any, Any, Any]], Awaitable[None]]

# The checks without which the service cannot answer at all.
REQUIRED: dict[str, Check] = {"postgres": _postgres}
# Reported, never a reason to leave the Service.
SOFT: dict[str, Check] = {"redis": _redis, "authentication": _storage}


async def _run(name: str, check: Check, request: Request[Any, Any, Any]) -> str:
    try:
        await asyncio.wait_for(check(request), CHECK_TIMEOUT)
    except Exception as error:  # any failure means "unavailable"; the reason goes to the log
        log.warning("readiness: %s unavailable: %r", name, error)
        DEPENDENCY_UP.labels(name).set(0)
        return "unavailable"
    DEPENDENCY_UP.labels(name).set(1)
    return "ok"


class HealthController(Controller):
    path = "/trainings"
    tags = ("health",)

    @get("/healthcheck/")
    async def healthcheck(self, request: Request[Any, Any, Any]) -> dict[str, float]:
        return {"uptime": time.monotonic() - request.app.state.started_at}

    @get("/readiness/")
    async def readiness(self, request: Request[Any, Any, Any]) -> Response[dict[str, object]]:
        checks = {**REQUIRED, **SOFT}
        results = await asyncio.gather(*(_run(n, c, request) for n, c in checks.items()))
        states = dict(zip(checks, results, strict=True))
        ready = all(states[name] == "ok" for name in REQUIRED)
        body: dict[str, object] = {
            "ready": ready,
            "degraded": any(states[name] != "ok" for name in SOFT),
            "checks": states,
        }
        return Response(body, status_code=200 if ready else 503)

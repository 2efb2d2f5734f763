"""Liveness (no dependency checks) and readiness.

Readiness fails (503) only when Postgres, without which this service answers nothing, is down.
Redis (rate limits, blocked set, events) and MongoDB (positions) are softer: requests keep being
served without them (rate limits fail open, events wait in the outbox, only the nearby search
needs positions), so taking every replica out of rotation for them would turn a partial outage
into a total one. They are reported in the body and in the `fiufit_users_dependency_up` gauge,
which is what alerts watch. Answers name the state only, never an exception's text."""

import logging
import time
from typing import Any

from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.response import Response
from prometheus_client import Gauge

from users.services import Services

log = logging.getLogger(__name__)

DEPENDENCY_UP = Gauge(
    "fiufit_users_dependency_up",
    "1 when the dependency answered the last readiness check, 0 when it did not",
    ["dependency"],
)
# Readiness fails only for these.
REQUIRED = ("postgres",)


async def _postgres(services: Services) -> None:
    async with services.pool.acquire() as conn:
        await conn.fetchval("SELECT 1")


async def _redis(services: Services) -> None:
    await services.redis.ping()


async def _mongo(services: Services) -> None:
    await services.positions.ping()


CHECKS = {"postgres": _postgres, "redis": _redis, "mongo": _mongo}


class HealthController(Controller):
    path = "/users"
    tags = ("health",)

    @get("/healthcheck/")
    async def healthcheck(self, request: Request[Any, Any, Any]) -> dict[str, float]:
        return {"uptime": time.monotonic() - request.app.state.started_at}

    @get("/readiness/")
    async def readiness(self, services: NamedDependency[Services]) -> Response[dict[str, object]]:
        checks: dict[str, str] = {}
        for name, check in CHECKS.items():
            try:
                await check(services)
                checks[name] = "ok"
            except Exception as error:  # any failure means "not answering"; logged, not echoed
                log.warning("readiness: %s unavailable: %r", name, error)
                checks[name] = "unavailable"
            DEPENDENCY_UP.labels(name).set(1 if checks[name] == "ok" else 0)
        ready = all(checks[name] == "ok" for name in REQUIRED)
        return Response({"ready": ready, "checks": checks}, status_code=200 if ready else 503)

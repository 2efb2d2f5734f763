"""Liveness (no dependency checks) and readiness.

Readiness fails only when the service cannot answer at all: without MongoDB (its own store) no
query answers. Redis is soft: it serves the blocked-users set, whose last known copy keeps
verifying tokens, so a Redis outage is reported in the body (and by the consumer's metrics) but
keeps the pods in rotation; `fiufit_metrics_dependency_up{dependency}` is what alerts read. The
body names each dependency's state, never an error's text."""

import time
from typing import Any

from litestar import Controller, Request, get
from litestar.response import Response
from prometheus_client import Gauge
from pymongo.errors import PyMongoError
from redis.exceptions import RedisError

# Dependencies without which the service cannot answer: readiness fails when one is down.
REQUIRED = ("mongodb",)
# What alerting reads (the readiness probe refreshes it every period): 1 up, 0 down.
DEPENDENCY_UP = Gauge(
    "fiufit_metrics_dependency_up",
    "Whether a dependency answered the last readiness check (1) or not (0)",
    ["dependency"],
)


class HealthController(Controller):
    path = "/metrics"
    tags = ("health",)

    @get("/healthcheck/")
    async def healthcheck(self, request: Request[Any, Any, Any]) -> dict[str, float]:
        return {"uptime": time.monotonic() - request.app.state.started_at}

    @get("/readiness/")
    async def readiness(self, request: Request[Any, Any, Any]) -> Response[dict[str, object]]:
        state = request.app.state
        checks: dict[str, str] = {}
        try:
            await state.mongo.admin.command("ping")
            checks["mongodb"] = "ok"
        except PyMongoError:
            checks["mongodb"] = "unavailable"
        try:
            await state.redis.ping()
            checks["redis"] = "ok"
        except (RedisError, OSError):
            checks["redis"] = "unavailable"
        for name, value in checks.items():
            DEPENDENCY_UP.labels(dependency=name).set(1 if value == "ok" else 0)
        ready = all(checks[name] == "ok" for name in REQUIRED)
        return Response({"ready": ready, "checks": checks}, status_code=200 if ready else 503)

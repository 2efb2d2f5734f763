"""Liveness (no dependency checks) and readiness (readiness.py runs the checks).

Readiness fails only when the service cannot answer at all: without MongoDB (its own store) no
query answers. Redis is soft: it serves the blocked-users set, whose last known copy keeps
verifying tokens, so a Redis outage is reported in the body (and by the consumer's metrics) but
keeps the pods in rotation; `fiufit_metrics_dependency_up{dependency}` is what alerts read."""

import time
from typing import Any

from litestar import Controller, Request, get
from litestar.response import Response

from metrics.readiness import Readiness
from metrics.services import provide_services


async def _mongodb(request: Request[Any, Any, Any]) -> None:
    await provide_services(request).mongo.admin.command("ping")


async def _redis(request: Request[Any, Any, Any]) -> None:
    await provide_services(request).redis.ping()


READINESS = Readiness("metrics", required={"mongodb": _mongodb}, soft={"redis": _redis})


class HealthController(Controller):
    path = "/metrics"
    tags = ("health",)

    @get("/healthcheck/")
    async def healthcheck(self, request: Request[Any, Any, Any]) -> dict[str, float]:
        return {"uptime": time.monotonic() - request.app.state.started_at}

    @get("/readiness/")
    async def readiness(self, request: Request[Any, Any, Any]) -> Response[dict[str, object]]:
        return await READINESS.answer(request)

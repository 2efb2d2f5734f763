"""Liveness (no dependency checks) and readiness (MongoDB and Redis answer)."""

import time
from typing import Any

from litestar import Controller, Request, get
from litestar.response import Response
from pymongo.errors import PyMongoError
from redis.exceptions import RedisError


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
        except PyMongoError as error:
            checks["mongodb"] = f"unavailable: {type(error).__name__}"
        try:
            await state.redis.ping()
            checks["redis"] = "ok"
        except RedisError as error:
            checks["redis"] = f"unavailable: {type(error).__name__}"
        ready = all(value == "ok" for value in checks.values())
        return Response({"ready": ready, "checks": checks}, status_code=200 if ready else 503)

"""Liveness (no dependency checks) and readiness (the database and the chain answer)."""

import time
from typing import Any

from litestar import Controller, Request, get
from litestar.response import Response

from payment.chain.client import Chain


class HealthController(Controller):
    path = "/payment"
    tags = ("health",)

    @get("/healthcheck/")
    async def healthcheck(self, request: Request[Any, Any, Any]) -> dict[str, float]:
        return {"uptime": time.monotonic() - request.app.state.started_at}

    @get("/readiness/")
    async def readiness(self, request: Request[Any, Any, Any]) -> Response[dict[str, object]]:
        checks: dict[str, str] = {}
        try:
            async with request.app.state.pool.acquire() as conn:
                await conn.fetchval("SELECT 1")
            checks["database"] = "ok"
        except Exception as error:  # any failure means not ready
            checks["database"] = type(error).__name__
        chain: Chain = request.app.state.chain
        try:
            await chain.block_number()
            checks["chain"] = "ok"
        except Exception as error:
            checks["chain"] = type(error).__name__
        ready = all(value == "ok" for value in checks.values())
        return Response({"ready": ready, "checks": checks}, status_code=200 if ready else 503)

"""Liveness (no dependency checks) and readiness.

Readiness fails (503) only when the service's own database is down: without it nothing can
be answered. The chain and Redis are softer dependencies (a movement answers 503 on its own
while the node is away; events wait in the outbox while Redis is), so they are reported in
the body and in the ``fiufit_payment_dependency_up`` gauge, never by taking every replica out
of rotation. The body names a state per check, never an exception's text.
"""

import logging
import time
from typing import Any

from litestar import Controller, Request, get
from litestar.response import Response
from prometheus_client import Gauge

from payment.chain.client import Chain

log = logging.getLogger(__name__)
DEPENDENCY_UP = Gauge(
    "fiufit_payment_dependency_up",
    "1 when the dependency answered the last readiness check",
    ["dependency"],
)


class HealthController(Controller):
    path = "/payment"
    tags = ("health",)

    @get("/healthcheck/")
    async def healthcheck(self, request: Request[Any, Any, Any]) -> dict[str, float]:
        return {"uptime": time.monotonic() - request.app.state.started_at}

    @get("/readiness/")
    async def readiness(self, request: Request[Any, Any, Any]) -> Response[dict[str, object]]:
        state = request.app.state
        checks: dict[str, str] = {}

        async def check(name: str, probe: Any) -> None:
            try:
                await probe()
                checks[name] = "ok"
            except Exception as error:  # any failure: reported by name, logged in full
                log.warning("readiness: %s unavailable: %r", name, error)
                checks[name] = "unavailable"
            DEPENDENCY_UP.labels(name).set(1 if checks[name] == "ok" else 0)

        async def database() -> None:
            async with state.pool.acquire(timeout=5) as conn:
                await conn.fetchval("SELECT 1")

        chain: Chain = state.chain
        await check("database", database)
        await check("chain", chain.block_number)
        await check("redis", state.redis.ping)
        ready = checks["database"] == "ok"
        degraded = any(value != "ok" for value in checks.values())
        body: dict[str, object] = {"ready": ready, "degraded": degraded, "checks": checks}
        return Response(body, status_code=200 if ready else 503)

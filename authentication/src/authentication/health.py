"""Liveness (no dependency checks) and readiness.

authentication keeps its signing keys in memory: it can always issue tokens and serve the JWKS
that every other service verifies with, so no dependency takes it out of its Service. Firebase
Auth (accounts, logins) and the bucket (images) are reported in the body and in the
`fiufit_authentication_dependency_up` gauge, so their outage alerts without pulling every pod,
and the JWKS with them, at once. The body names states, never an error's text.
"""

import time
from typing import Any

from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.exceptions import HTTPException
from litestar.response import Response
from prometheus_client import Gauge

from authentication.accounts.service import FirebaseAccounts
from authentication.images.storage import ImageStore

DEPENDENCY_UP = Gauge(
    "fiufit_authentication_dependency_up",
    "1 when the dependency answered the last readiness check, else 0",
    ["dependency"],
)


class HealthController(Controller):
    path = "/auth"
    tags = ["health"]

    @get("/healthcheck/")
    async def healthcheck(self, request: Request[Any, Any, Any]) -> dict[str, float]:
        return {"uptime": time.monotonic() - request.app.state.started_at}

    @get("/readiness/")
    async def readiness(
        self, accounts: NamedDependency[FirebaseAccounts], images: NamedDependency[ImageStore]
    ) -> Response[dict[str, object]]:
        checks: dict[str, str] = {}
        for name, ping in (("firebase_auth", accounts.ping), ("storage", images.ping)):
            try:
                await ping()
                checks[name] = "ok"
            except HTTPException:
                checks[name] = "unavailable"
            DEPENDENCY_UP.labels(name).set(1 if checks[name] == "ok" else 0)
        degraded = any(value != "ok" for value in checks.values())
        return Response({"ready": True, "degraded": degraded, "checks": checks}, status_code=200)

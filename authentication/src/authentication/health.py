"""Liveness (no dependency checks) and readiness (Firebase Auth and the bucket answer; the body
names each one's state, never an error's text)."""

import time
from typing import Any

from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.exceptions import HTTPException
from litestar.response import Response

from authentication.accounts.firebase import FirebaseAccounts
from authentication.images.storage import ImageStore


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
            # A state, never an error's text (readiness is reachable without credentials).
            try:
                await ping()
                checks[name] = "ok"
            except HTTPException:
                checks[name] = "unavailable"
        ready = all(value == "ok" for value in checks.values())
        return Response({"ready": ready, "checks": checks}, status_code=200 if ready else 503)

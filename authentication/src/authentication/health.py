"""Liveness (no dependency checks) and readiness (readiness.py runs the checks).

authentication keeps its signing keys in memory: it can always issue tokens and serve the JWKS
that every other service verifies with, so no dependency takes it out of its Service. Firebase
Auth (accounts, logins) and the bucket (images) are soft: reported in the body and in the
`fiufit_authentication_dependency_up` gauge, so their outage alerts without pulling every pod,
and the JWKS with them, at once.
"""

import time
from typing import Any, Literal, TypedDict, cast

from litestar import Controller, Request, get
from litestar.response import Response

from authentication.openapi import PUBLIC
from authentication.readiness import Readiness
from authentication.services import Services


def _services(request: Request[Any, Any, Any]) -> Services:
    services: Services = request.app.state.services
    return services


async def _firebase_auth(request: Request[Any, Any, Any]) -> None:
    await _services(request).firebase_auth.ping()


async def _storage(request: Request[Any, Any, Any]) -> None:
    await _services(request).images.ping()


READINESS = Readiness(
    "authentication", required={}, soft={"firebase_auth": _firebase_auth, "storage": _storage}
)


class Uptime(TypedDict):
    uptime: float  # seconds since the process started


class ReadinessAnswer(TypedDict):
    ready: bool  # always true here: no dependency is required
    degraded: bool  # a soft dependency is unavailable
    checks: dict[Literal["firebase_auth", "storage"], Literal["ok", "unavailable"]]


class HealthController(Controller):
    path = "/auth"
    tags = ["health"]

    @get("/healthcheck/", opt=PUBLIC)
    async def healthcheck(self, request: Request[Any, Any, Any]) -> Uptime:
        return {"uptime": time.monotonic() - request.app.state.started_at}

    @get("/readiness/", opt=PUBLIC)
    async def readiness(self, request: Request[Any, Any, Any]) -> Response[ReadinessAnswer]:
        return cast(Response[ReadinessAnswer], await READINESS.answer(request))

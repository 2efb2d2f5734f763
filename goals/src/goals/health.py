"""Liveness (no dependency checks) and readiness (readiness.py runs the checks).

Readiness fails (503) only when this service's own database does not answer: without it no
request can be served. Redis (blocked users, the event stream) and authentication (JWKS, images)
are softer: requests keep working on cached keys and blocked users, and events wait in the
outbox. Their state is reported in the body and in the `fiufit_goals_dependency_up` gauge, so an
outage of theirs alerts without pulling every goals pod out of its Service at once.
"""

import time
from typing import Any, Literal, TypedDict

from litestar import Controller, Request, get
from litestar.openapi import ResponseSpec
from litestar.response import Response

from goals.openapi import PUBLIC
from goals.readiness import Readiness
from goals.services import Services


def _services(request: Request[Any, Any, Any]) -> Services:
    services: Services = request.app.state.services
    return services


async def _postgres(request: Request[Any, Any, Any]) -> None:
    async with _services(request).pool.acquire(timeout=2) as conn:
        await conn.fetchval("SELECT 1")


async def _redis(request: Request[Any, Any, Any]) -> None:
    await _services(request).redis.ping()


async def _authentication(request: Request[Any, Any, Any]) -> None:
    services = _services(request)
    response = await services.http.get(f"{services.settings.auth_url}/auth/healthcheck/")
    response.raise_for_status()


READINESS = Readiness(
    "goals",
    required={"postgres": _postgres},
    soft={"redis": _redis, "authentication": _authentication},
)


State = Literal["ok", "unavailable"]


class Uptime(TypedDict):
    uptime: float  # seconds since the process started


class Checks(TypedDict):
    postgres: State  # required: 503 when unavailable
    redis: State  # soft: `degraded` when unavailable
    authentication: State  # soft


class ReadinessAnswer(TypedDict):
    ready: bool
    degraded: bool
    checks: Checks


class HealthController(Controller):
    path = "/goals"
    tags = ("health",)

    @get("/healthcheck/", opt=PUBLIC)
    async def healthcheck(self, request: Request[Any, Any, Any]) -> Uptime:
        return Uptime(uptime=time.monotonic() - request.app.state.started_at)

    @get(
        "/readiness/",
        opt=PUBLIC,
        responses={
            200: ResponseSpec(
                ReadinessAnswer, description="Ready (maybe degraded)", generate_examples=False
            ),
            503: ResponseSpec(
                ReadinessAnswer,
                description="Not ready: its own database does not answer",
                generate_examples=False,
            ),
        },
    )
    async def readiness(self, request: Request[Any, Any, Any]) -> Response[dict[str, object]]:
        return await READINESS.answer(request)

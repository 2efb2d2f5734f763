"""Liveness (no dependency checks) and readiness (readiness.py runs the checks).

Readiness fails (503) only when Postgres, without which this service answers nothing, is down.
Redis (rate limits, blocked set, events) and MongoDB (positions) are softer: requests keep being
served without them (rate limits fail open, events wait in the outbox, only the nearby search
needs positions), so taking every replica out of rotation for them would turn a partial outage
into a total one. They are reported in the body and in the `fiufit_users_dependency_up` gauge,
which is what alerts watch."""

import time
from typing import Any, Literal, TypedDict

from litestar import Controller, Request, get
from litestar.openapi.datastructures import ResponseSpec
from litestar.response import Response

from users.openapi import PUBLIC
from users.readiness import Readiness
from users.services import Services

State = Literal["ok", "unavailable"]


class Checks(TypedDict):
    postgres: State  # required: 503 when unavailable
    redis: State  # soft: `degraded` when unavailable
    mongo: State  # soft


class ReadinessAnswer(TypedDict):
    ready: bool
    degraded: bool
    checks: Checks


def _services(request: Request[Any, Any, Any]) -> Services:
    services: Services = request.app.state.services
    return services


async def _postgres(request: Request[Any, Any, Any]) -> None:
    async with _services(request).pool.acquire() as conn:
        await conn.fetchval("SELECT 1")


async def _redis(request: Request[Any, Any, Any]) -> None:
    await _services(request).redis.ping()


async def _mongo(request: Request[Any, Any, Any]) -> None:
    await _services(request).positions.ping()


READINESS = Readiness(
    "users", required={"postgres": _postgres}, soft={"redis": _redis, "mongo": _mongo}
)


class HealthController(Controller):
    path = "/users"
    tags = ("health",)

    @get("/healthcheck/", opt=PUBLIC)
    async def healthcheck(self, request: Request[Any, Any, Any]) -> dict[str, float]:
        return {"uptime": time.monotonic() - request.app.state.started_at}

    @get(
        "/readiness/",
        opt=PUBLIC,
        responses={
            200: ResponseSpec(
                ReadinessAnswer, description="Ready (maybe degraded)", generate_examples=False
            ),
            503: ResponseSpec(
                ReadinessAnswer,
                description="Not ready: Postgres does not answer",
                generate_examples=False,
            ),
        },
    )
    async def readiness(self, request: Request[Any, Any, Any]) -> Response[dict[str, object]]:
        return await READINESS.answer(request)

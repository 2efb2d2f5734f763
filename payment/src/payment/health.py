"""Liveness (no dependency checks) and readiness (readiness.py runs the checks).

Readiness fails (503) only when the service's own database is down: without it nothing can
be answered. The chain and Redis are softer dependencies (a movement answers 503 on its own
while the node is away; events wait in the outbox while Redis is), so they are reported in
the body and in the ``fiufit_payment_dependency_up`` gauge, never by taking every replica out
of rotation. The body names a state per check, never an exception's text.

Both routes are public (no credential: the kubelet's probes call them).
"""

import time
from typing import Any, Literal, TypedDict

from litestar import Controller, Request, get
from litestar.openapi.datastructures import ResponseSpec
from litestar.response import Response

from payment.openapi import PUBLIC
from payment.readiness import Readiness
from payment.services import Services

State = Literal["ok", "unavailable"]


class Uptime(TypedDict):
    uptime: float  # seconds since the process started


class Checks(TypedDict):
    database: State  # required: 503 when unavailable
    chain: State  # soft: `degraded` when unavailable
    redis: State  # soft


class ReadinessAnswer(TypedDict):
    ready: bool
    degraded: bool
    checks: Checks


def _services(request: Request[Any, Any, Any]) -> Services:
    services: Services = request.app.state.services
    return services


async def _database(request: Request[Any, Any, Any]) -> None:
    async with _services(request).pool.acquire() as conn:
        await conn.fetchval("SELECT 1")


async def _chain(request: Request[Any, Any, Any]) -> None:
    await _services(request).chain.block_number()


async def _redis(request: Request[Any, Any, Any]) -> None:
    await _services(request).redis.ping()


# As in every service: `ready` answers for the required checks, `degraded` for the soft ones.
READINESS = Readiness(
    "payment",
    required={"database": _database},
    soft={"chain": _chain, "redis": _redis},
)


class HealthController(Controller):
    path = "/payment"
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
                description="Not ready: Postgres, the service's own database, is unavailable",
                generate_examples=False,
            ),
        },
    )
    async def readiness(self, request: Request[Any, Any, Any]) -> Response[dict[str, object]]:
        return await READINESS.answer(request)

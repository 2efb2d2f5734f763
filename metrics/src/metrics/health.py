"""Liveness (no dependency checks) and readiness (readiness.py runs the checks).

Readiness fails only when the service cannot answer at all: without MongoDB (its own store) no
query answers. Redis is soft: it serves the blocked-users set, whose last known copy keeps
verifying tokens, so a Redis outage is reported in the body (and by the consumer's metrics) but
keeps the pods in rotation; `fiufit_metrics_dependency_up{dependency}` is what alerts read.

Both routes are public (no token: the kubelet's probes call them)."""

import time
from typing import Any, Literal, TypedDict

from litestar import Controller, Request, get
from litestar.openapi.datastructures import ResponseSpec
from litestar.response import Response

from metrics.openapi import PUBLIC
from metrics.readiness import Readiness
from metrics.services import Services

State = Literal["ok", "unavailable"]


class Uptime(TypedDict):
    uptime: float  # seconds since the process started


class Checks(TypedDict):
    mongodb: State  # required: 503 when unavailable
    redis: State  # soft: `degraded` when unavailable


class ReadinessAnswer(TypedDict):
    ready: bool
    degraded: bool
    checks: Checks


def _services(request: Request[Any, Any, Any]) -> Services:
    services: Services = request.app.state.services
    return services


async def _mongodb(request: Request[Any, Any, Any]) -> None:
    await _services(request).mongo.admin.command("ping")


async def _redis(request: Request[Any, Any, Any]) -> None:
    await _services(request).redis.ping()


READINESS = Readiness("metrics", required={"mongodb": _mongodb}, soft={"redis": _redis})


class HealthController(Controller):
    path = "/metrics"
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
                description="Not ready: MongoDB, the service's own store, is unavailable",
                generate_examples=False,
            ),
        },
    )
    async def readiness(self, request: Request[Any, Any, Any]) -> Response[dict[str, object]]:
        return await READINESS.answer(request)

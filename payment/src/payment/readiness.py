"""Readiness: a service's dependency checks, run at once with a timeout, as one answer.

Declared glue: this file is identical in every service that carries it (ARCHITECTURE.md,
"Declared glue"); each service's health.py names its checks and serves the two routes.

- A REQUIRED check is a dependency without which the service cannot answer at all (its own
  database): when one fails, readiness is 503 and the pod leaves its Service.
- A SOFT check is reported, never a reason to leave: when one fails, `degraded` is true.
- Each state is `ok` or `unavailable`, also set in the `fiufit_<service>_dependency_up`
  gauge (1 or 0) that alerts read. The body never carries an exception's text (it is public
  through the gateway); the log does.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from litestar import Request
from litestar.response import Response
from prometheus_client import Gauge

log = logging.getLogger(__name__)

# A readiness probe gives up after 5 s (deployment.yaml): every check answers well before.
CHECK_TIMEOUT = 3.0

Check = Callable[[Request[Any, Any, Any]], Awaitable[None]]


class Readiness:
    """The checks of one service: `required` and `soft` map a dependency's name to its check."""

    def __init__(self, service: str, required: dict[str, Check], soft: dict[str, Check]) -> None:
        self.required = required
        self.soft = soft
        self.up = Gauge(
            f"fiufit_{service}_dependency_up",
            "1 when the dependency answered the last readiness check, else 0",
            ["dependency"],
        )

    async def _run(self, name: str, check: Check, request: Request[Any, Any, Any]) -> str:
        try:
            await asyncio.wait_for(check(request), CHECK_TIMEOUT)
        except Exception as error:  # any failure means "unavailable"; the reason goes to the log
            log.warning("readiness: %s unavailable: %r", name, error)
            self.up.labels(name).set(0)
            return "unavailable"
        self.up.labels(name).set(1)
        return "ok"

    async def answer(self, request: Request[Any, Any, Any]) -> Response[dict[str, object]]:
        """`{"ready", "degraded", "checks": {name: "ok" | "unavailable"}}`, 503 when not ready."""
        checks = {**self.required, **self.soft}
        results = await asyncio.gather(*(self._run(n, c, request) for n, c in checks.items()))
        states = dict(zip(checks, results, strict=True))
        ready = all(states[name] == "ok" for name in self.required)
        body: dict[str, object] = {
            "ready": ready,
            "degraded": any(states[name] != "ok" for name in self.soft),
            "checks": states,
        }
        return Response(body, status_code=200 if ready else 503)

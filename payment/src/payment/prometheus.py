"""The request metrics of Litestar's Prometheus plugin, at a fraction of their cost per request.

Same four series, names, labels and buckets (`litestar_requests_total`,
`litestar_request_duration_seconds`, `litestar_requests_in_progress`,
`litestar_requests_error_total`, labelled `method`, `path` (the route template), `status_code`,
`app_name`). Litestar's middleware builds a `Request` and calls prometheus_client's `labels()`
four times per request, and each call checks and converts the values and takes a lock; here
each label set's series are looked up once and kept. The plugin's options this does not
implement (extra labels, exemplars, excluded methods) fall back to Litestar's own code.
"""

import time
from typing import Any

from litestar.plugins.prometheus import PrometheusConfig, PrometheusMiddleware
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR
from litestar.types import ASGIApp, Message, Receive, Scope, Send

_LABELS: dict[str, str | int | float] = {"method": "", "path": "", "status_code": 0, "app_name": ""}


class RequestMetrics(PrometheusMiddleware):
    def __init__(self, app: ASGIApp, config: PrometheusConfig) -> None:
        super().__init__(app, config)
        self._plain = not (config.labels or config.exemplars or config.excluded_http_methods)
        # The metrics themselves: created once per process by Litestar's own factories.
        self._count = self.request_count(_LABELS)
        self._seconds = self.request_time(_LABELS)
        self._in_progress = self.requests_in_progress(_LABELS)
        self._errors = self.requests_error_count(_LABELS)
        self._series: dict[tuple[str, str, int], tuple[Any, Any]] = {}
        self._gauges: dict[tuple[str, str], Any] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self._plain:
            await super().__call__(scope, receive, send)
            return
        method: str = scope.get("method") or scope["type"]  # type: ignore[assignment]
        path: str = scope["path_template"] if self._config.group_path else scope["path"]
        app_name = self._config.app_name
        gauge = self._gauges.get((method, path))
        if gauge is None:  # Litestar labels the in-progress gauge with status 200
            gauge = self._gauges[method, path] = self._in_progress.labels(
                method, path, 200, app_name
            )
        started = time.perf_counter()
        status = 200
        duration = 0.0

        async def measured_send(message: Message) -> None:
            nonlocal status, duration
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                duration = time.perf_counter() - started
            await send(message)

        gauge.inc()
        try:
            await self.app(scope, receive, measured_send)
        finally:
            gauge.dec()
            key = (method, path, status)
            series = self._series.get(key)
            if series is None:
                series = self._series[key] = (
                    self._count.labels(method, path, status, app_name),
                    self._seconds.labels(method, path, status, app_name),
                )
            if status >= HTTP_500_INTERNAL_SERVER_ERROR:
                self._errors.labels(method, path, status, app_name).inc()
            series[0].inc()
            series[1].observe(duration)

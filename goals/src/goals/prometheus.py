"""The request metrics of Litestar's Prometheus plugin, recorded by the access wrapper.

Declared glue (ARCHITECTURE.md): this file is identical in every service, and
overlays/check_glue.py fails when one copy differs. Change every copy in one commit.

The same four series, names, labels and buckets as the plugin's (`litestar_requests_total`,
`litestar_request_duration_seconds`, `litestar_requests_in_progress`,
`litestar_requests_error_total`, labelled `method`, `path` (the route template), `status_code`,
`app_name`), for the requests that reached a route, as the plugin counted them. The plugin is
a Litestar middleware, which Litestar runs inside every route's stack, where it then adds a
second exception handler and one more wrapper of `send`: about 3% of a cheap read. Here the
access wrapper (access.py), which every request goes through already, records the finished
request (`finished`), and the in-progress gauge is counted when it is scraped, from the
requests in flight (`in_flight`), so a request adds two set operations to it.
"""

import weakref
from collections import Counter as Tally
from collections.abc import Iterator
from typing import Any

from prometheus_client import REGISTRY, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

_PREFIX = "litestar"  # the plugin's default prefix: the series keep their names
_LABELS = ("method", "path", "status_code", "app_name")
_SERVER_ERROR = 500

_COUNT = Counter(f"{_PREFIX}_requests_total", "Total requests", _LABELS)
_SECONDS = Histogram(f"{_PREFIX}_request_duration_seconds", "Request duration, in seconds", _LABELS)
_ERRORS = Counter(f"{_PREFIX}_requests_error_total", "Total errors in requests", _LABELS)


class RequestMetrics:
    """One per app. `in_flight` holds the scope of each request being served (access.py adds
    and removes it); the router writes its route template there."""

    def __init__(self, app_name: str) -> None:
        self.app_name = app_name
        self.in_flight: set[Any] = set()  # scopes are dicts: their holders, by identity
        self._series: dict[tuple[str, str, int], tuple[Any, Any]] = {}
        self._seen: set[tuple[str, str]] = set()  # gauges reported once stay, at 0
        _IN_PROGRESS.apps.add(self)

    def finished(self, method: str, route: str, status: int, seconds: float) -> None:
        """A request that reached `route` (its template) ended with `status`."""
        key = (method, route, status)
        series = self._series.get(key)
        if series is None:  # each label set's series are looked up once
            series = self._series[key] = (
                _COUNT.labels(method, route, status, self.app_name),
                _SECONDS.labels(method, route, status, self.app_name),
            )
            self._seen.add((method, route))
        if status >= _SERVER_ERROR:
            _ERRORS.labels(method, route, status, self.app_name).inc()
        series[0].inc()
        series[1].observe(seconds)

    def in_progress(self) -> Tally[tuple[str, str]]:
        """Requests in flight per method and route template (those routed so far)."""
        tally: Tally[tuple[str, str]] = Tally(dict.fromkeys(self._seen, 0))
        for holder in list(self.in_flight):  # a copy: the loop's thread changes the set
            route = holder.scope.get("path_template")
            if route is not None:
                tally[holder.scope["method"], route] += 1
        return tally


class _InProgressCollector(Collector):
    """`litestar_requests_in_progress`, labelled as the plugin's gauge (status 200)."""

    def __init__(self) -> None:
        # Apps of one process (a test suite builds several): summed per label set.
        self.apps: weakref.WeakSet[RequestMetrics] = weakref.WeakSet()

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily(
            f"{_PREFIX}_requests_in_progress",
            "Total requests currently in progress",
            labels=_LABELS,
        )
        total: Tally[tuple[str, str, str]] = Tally()
        for app in list(self.apps):
            for (method, route), count in app.in_progress().items():
                total[method, route, app.app_name] += count
        for (method, route, app_name), count in sorted(total.items()):
            family.add_metric([method, route, "200", app_name], count)
        yield family


_IN_PROGRESS = _InProgressCollector()
REGISTRY.register(_IN_PROGRESS)

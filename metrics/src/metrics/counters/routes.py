"""``GET /metrics?name=`` and ``GET /metrics/names/``: the back office's dashboards, admins only."""

from typing import Annotated

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import FromQuery, QueryParameter

from metrics.counters import service
from metrics.counters.models import (
    LabelCount,
    MetricName,
    SeriesPoint,
    Window,
    parse_interval,
    parse_metric_name,
)
from metrics.security import BEARER, admin_only
from metrics.services import Services

From = Annotated[
    str | None,
    QueryParameter(name="from", description="ISO date or date-time (UTC); inclusive"),
]
To = Annotated[
    str | None,
    QueryParameter(
        name="to", description="ISO date (includes the whole day) or date-time; inclusive"
    ),
]


class CountersController(Controller):
    path = "/metrics"
    tags = ("metrics",)
    guards = (admin_only,)
    security = BEARER

    @get(
        "",
        summary="Counts of one metric per label, or per label and time bucket",
        description="`[{label, count}]` without `interval`, `[{label, date, count}]` with it.",
    )
    async def counts(
        self,
        services: NamedDependency[Services],
        name: FromQuery[str],
        date_from: From = None,
        date_to: To = None,
        interval: Annotated[
            str | None, QueryParameter(description="day, week (from Monday) or month")
        ] = None,
    ) -> list[LabelCount] | list[SeriesPoint]:
        metric = parse_metric_name(name)
        window = Window.parse(date_from, date_to)
        return await service.counts(services, metric, window, parse_interval(interval))

    @get("/names/", summary="The metric names stored, with their totals")
    async def names(
        self,
        services: NamedDependency[Services],
        date_from: From = None,
        date_to: To = None,
    ) -> list[MetricName]:
        return await service.names(services, Window.parse(date_from, date_to))

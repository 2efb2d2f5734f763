"""``GET /metrics?name=`` (the back office's dashboards) and ``GET /metrics/names/``."""

from typing import Annotated

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import FromQuery, QueryParameter
from pydantic import BaseModel

from metrics.counters import queries
from metrics.security import admin_caller
from metrics.store import Collection
from metrics.tokens import Caller

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


class LabelCount(BaseModel):
    label: str
    count: int | float


class SeriesPoint(BaseModel):
    label: str
    date: str
    count: int | float


class MetricName(BaseModel):
    name: str
    count: int | float
    events: int


class CountersController(Controller):
    path = "/metrics"
    tags = ("metrics",)
    dependencies = {"caller": admin_caller}  # noqa: RUF012

    @get(
        "",
        summary="Counts of one metric per label, or per label and time bucket",
        description="`[{label, count}]` without `interval`, `[{label, date, count}]` with it.",
    )
    async def counts(
        self,
        events: NamedDependency[Collection],
        caller: NamedDependency[Caller],
        name: FromQuery[str],
        date_from: From = None,
        date_to: To = None,
        interval: Annotated[
            str | None, QueryParameter(description="day, week (from Monday) or month")
        ] = None,
    ) -> list[LabelCount] | list[SeriesPoint]:
        metric = queries.metric_name(name)
        window = queries.Window.parse(date_from, date_to)
        unit = queries.interval(interval)
        if unit is None:
            rows = await queries.counts_by_label(events, metric, window)
            return [LabelCount(**row) for row in rows]
        return [SeriesPoint(**row) for row in await queries.series(events, metric, window, unit)]

    @get("/names/", summary="The metric names stored, with their totals")
    async def names(
        self,
        events: NamedDependency[Collection],
        caller: NamedDependency[Caller],
        date_from: From = None,
        date_to: To = None,
    ) -> list[MetricName]:
        window = queries.Window.parse(date_from, date_to)
        return [MetricName(**row) for row in await queries.metric_names(events, window)]

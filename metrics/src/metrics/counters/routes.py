"""``GET /metrics?name=`` and ``GET /metrics/names/``: the back office's dashboards, admins only."""

from typing import Annotated

from litestar import Controller, get
from litestar.params import QueryParameter

from metrics.counters import service
from metrics.counters.models import (
    INSTANT_PATTERN,
    INTERVALS,
    NAME_PATTERN,
    LabelCount,
    MetricName,
    Window,
    parse_interval,
    parse_metric_name,
    query_string,
)
from metrics.security import ApiRequest, admin_only

_WINDOW = "years 1000 to 9998; an empty value is no bound"
From = Annotated[
    str | None,
    QueryParameter(
        name="from",
        description=f"ISO date or date-time (naive means UTC); inclusive ({_WINDOW})",
        schema_extra=query_string(pattern=INSTANT_PATTERN),
    ),
]
To = Annotated[
    str | None,
    QueryParameter(
        name="to",
        description=(
            "ISO date (includes the whole day) or date-time (naive means UTC); inclusive "
            f"({_WINDOW}). A `to` before `from` is a 400."
        ),
        schema_extra=query_string(pattern=INSTANT_PATTERN),
    ),
]


class CountersController(Controller):
    path = "/metrics"
    tags = ("metrics",)
    guards = (admin_only,)

    @get(
        "",
        summary="Counts of one metric per label, or per label and time bucket",
        description=(
            "`[{label, count}]` without `interval` (largest first), `[{label, date, count}]` "
            "with it (by date); `[]` for a name never stored."
        ),
    )
    async def counts(
        self,
        request: ApiRequest,
        name: Annotated[
            str,
            QueryParameter(
                description="The metric: 1-100 characters of [A-Za-z0-9_.:-]",
                schema_extra={"pattern": NAME_PATTERN, "min_length": 1, "max_length": 100},
            ),
        ],
        date_from: From = None,
        date_to: To = None,
        interval: Annotated[
            str | None,
            QueryParameter(
                description="day, week (from Monday) or month: one row per label and bucket",
                schema_extra=query_string(enum=list(INTERVALS)),
            ),
        ] = None,
    ) -> list[LabelCount]:
        metric = parse_metric_name(name)
        window = Window.parse(date_from, date_to)
        return await service.counts(request.services, metric, window, parse_interval(interval))

    @get("/names/", summary="The metric names stored, with their totals")
    async def names(
        self,
        request: ApiRequest,
        date_from: From = None,
        date_to: To = None,
    ) -> list[MetricName]:
        return await service.names(request.services, Window.parse(date_from, date_to))

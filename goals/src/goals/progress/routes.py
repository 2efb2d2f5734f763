from typing import Annotated

import asyncpg
from litestar import get
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import QueryParameter
from pydantic import BaseModel

from goals.clock import Clock
from goals.numbers import as_number
from goals.params import MetricPath, UserId
from goals.progress import repository
from goals.progress.window import DEFAULT_DAYS, MAX_DAYS, MIN_DAYS, window
from goals.security import AuthenticatedController
from goals.tokens import Caller


class Progress(BaseModel):
    progress: int | float


class ProgressController(AuthenticatedController):
    path = "/goals"
    tags = ("progress",)

    @get(
        "/{user_id:int}/metricsProgress/{metric:str}",
        summary="Progress made on a metric in the last N days, across the user's goals",
    )
    async def metrics_progress(
        self,
        user_id: UserId,
        metric: MetricPath,
        caller: NamedDependency[Caller],
        db: NamedDependency[asyncpg.Pool],
        clock: NamedDependency[Clock],
        days: Annotated[int, QueryParameter(ge=MIN_DAYS, le=MAX_DAYS)] = DEFAULT_DAYS,
    ) -> Progress:
        caller.require_self_or_admin(user_id)
        since, until = window(clock(), days)
        async with db.acquire() as conn:
            total = await repository.progress_in_window(conn, user_id, metric, since, until)
        if total is None:
            raise NotFoundException("No data found on that specific metric")
        return Progress(progress=as_number(total))

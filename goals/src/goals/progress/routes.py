from typing import Annotated

from litestar import Controller, get
from litestar.params import QueryParameter

from goals.params import MetricPath, UserId
from goals.progress import service
from goals.progress.models import Progress
from goals.progress.window import DEFAULT_DAYS, MAX_DAYS, MIN_DAYS
from goals.security import ApiRequest


class ProgressController(Controller):
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
        request: ApiRequest,
        days: Annotated[int, QueryParameter(ge=MIN_DAYS, le=MAX_DAYS)] = DEFAULT_DAYS,
    ) -> Progress:
        request.caller.require_self_or_admin(user_id)
        return await service.metric_progress(request.services, user_id, metric, days)

from litestar import Controller, get

from goals.catalogue import service
from goals.catalogue.models import Metric
from goals.security import ApiRequest


class CatalogueController(Controller):
    path = "/goals"
    tags = ("catalogue",)

    @get("/metrics", summary="The metrics a goal can be set against (any valid token)")
    async def metrics(self, request: ApiRequest) -> list[Metric]:
        return await service.metrics(request.services)

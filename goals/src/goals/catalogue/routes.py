from litestar import get
from litestar.di import NamedDependency

from goals.catalogue import service
from goals.catalogue.models import Metric
from goals.security import AuthenticatedController
from goals.services import Services


class CatalogueController(AuthenticatedController):
    tags = ("catalogue",)

    @get("/metrics", summary="The metrics a goal can be set against (any valid token)")
    async def metrics(self, services: NamedDependency[Services]) -> list[Metric]:
        return await service.metrics(services)

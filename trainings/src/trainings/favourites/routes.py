"""/users/{user_id}/trainings…: favourites and ratings (the ingress sends these here)."""

from typing import Any

from litestar import Controller, Request, delete, get, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody

from trainings.favourites.models import FavouriteIn, RateIn, RateOut
from trainings.favourites.service import FavouriteService
from trainings.tokens import Caller
from trainings.training.models import TrainingPage
from trainings.training.routes import Limit, Offset


def favourites_of(request: Request[Any, Any, Any]) -> FavouriteService:
    service: FavouriteService = request.app.state.favourites
    return service


class FavouriteController(Controller):
    path = "/users/{user_id:int}/trainings"
    tags = ("favourites and ratings",)

    @get("/")
    async def favourites(
        self,
        request: Request[Any, Any, Any],
        user_id: FromPath[int],
        offset: Offset = 0,
        limit: Limit = 10,
    ) -> TrainingPage:
        return await favourites_of(request).favourites(user_id, offset, limit)

    @post("/", status_code=204)
    async def add(
        self,
        request: Request[Any, Any, Any],
        caller: NamedDependency[Caller],
        user_id: FromPath[int],
        data: JSONBody[FavouriteIn],
    ) -> None:
        await favourites_of(request).add(caller, user_id, data.training_id)

    @delete("/{training_id:int}", status_code=204)
    async def remove(
        self,
        request: Request[Any, Any, Any],
        caller: NamedDependency[Caller],
        user_id: FromPath[int],
        training_id: FromPath[int],
    ) -> None:
        await favourites_of(request).remove(caller, user_id, training_id)

    @put("/{training_id:int}", status_code=204)
    async def rate(
        self,
        request: Request[Any, Any, Any],
        caller: NamedDependency[Caller],
        user_id: FromPath[int],
        training_id: FromPath[int],
        data: JSONBody[RateIn],
    ) -> None:
        await favourites_of(request).rate(caller, user_id, training_id, data.rate)

    @get("/{training_id:int}/rating")
    async def rating(
        self, request: Request[Any, Any, Any], user_id: FromPath[int], training_id: FromPath[int]
    ) -> RateOut:
        return RateOut(rate=await favourites_of(request).rate_of(user_id, training_id))

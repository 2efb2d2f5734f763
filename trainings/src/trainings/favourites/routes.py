"""/users/{user_id}/trainings…: favourites and ratings (the ingress sends these here). Writes are
the user's own: checked first in each handler."""

from litestar import Controller, delete, get, post, put
from litestar.exceptions import PermissionDeniedException
from litestar.params import JSONBody

from trainings.errors import Conflict
from trainings.favourites import service
from trainings.favourites.models import FavouriteCreate, Rating, RatingUpdate
from trainings.openapi import PUBLIC
from trainings.security import ApiRequest
from trainings.trainings import service as trainings
from trainings.trainings.models import TrainingPage
from trainings.trainings.routes import Id, Limit, Offset


class FavouriteController(Controller):
    path = "/users/{user_id:int}/trainings"
    tags = ("favourites and ratings",)

    @get("/", opt=PUBLIC)
    async def favourites(
        self,
        request: ApiRequest,
        user_id: Id,
        offset: Offset = 0,
        limit: Limit = 10,
    ) -> TrainingPage:
        return await service.favourites(request.services, user_id, offset, limit)

    @post("/", status_code=204, raises=[Conflict])
    async def add(
        self,
        request: ApiRequest,
        user_id: Id,
        data: JSONBody[FavouriteCreate],
    ) -> None:
        request.caller.require_self(user_id)
        await service.add(request.services, user_id, data.training_id)

    @delete("/{training_id:int}", status_code=204)
    async def remove(
        self,
        request: ApiRequest,
        user_id: Id,
        training_id: Id,
    ) -> None:
        request.caller.require_self(user_id)
        await service.remove(request.services, user_id, training_id)

    @put("/{training_id:int}", status_code=204)
    async def rate(
        self,
        request: ApiRequest,
        user_id: Id,
        training_id: Id,
        data: JSONBody[RatingUpdate],
    ) -> None:
        request.caller.require_self(user_id)
        if await trainings.trainer_of(request.services, training_id) == user_id:
            raise PermissionDeniedException("Trainers cannot rate their own trainings")
        await service.rate(request.services, user_id, training_id, data.rate)

    @get("/{training_id:int}/rating", opt=PUBLIC)
    async def rating(
        self,
        request: ApiRequest,
        user_id: Id,
        training_id: Id,
    ) -> Rating:
        return await service.rating(request.services, user_id, training_id)

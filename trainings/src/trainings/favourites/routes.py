"""/users/{user_id}/trainings…: favourites and ratings (the ingress sends these here). Writes are
the user's own: checked first in each handler."""

from litestar import Controller, delete, get, post, put
from litestar.di import NamedDependency
from litestar.exceptions import PermissionDeniedException
from litestar.params import JSONBody

from trainings.favourites.models import FavouriteCreate, Rating, RatingUpdate
from trainings.favourites.service import FavouriteService
from trainings.tokens import Caller
from trainings.trainings.models import TrainingPage
from trainings.trainings.routes import Id, Limit, Offset
from trainings.trainings.service import TrainingService


class FavouriteController(Controller):
    path = "/users/{user_id:int}/trainings"
    tags = ("favourites and ratings",)

    @get("/")
    async def favourites(
        self,
        favourites: NamedDependency[FavouriteService],
        user_id: Id,
        offset: Offset = 0,
        limit: Limit = 10,
    ) -> TrainingPage:
        return await favourites.favourites(user_id, offset, limit)

    @post("/", status_code=204)
    async def add(
        self,
        favourites: NamedDependency[FavouriteService],
        caller: NamedDependency[Caller],
        user_id: Id,
        data: JSONBody[FavouriteCreate],
    ) -> None:
        caller.require_self(user_id)
        await favourites.add(user_id, data.training_id)

    @delete("/{training_id:int}", status_code=204)
    async def remove(
        self,
        favourites: NamedDependency[FavouriteService],
        caller: NamedDependency[Caller],
        user_id: Id,
        training_id: Id,
    ) -> None:
        caller.require_self(user_id)
        await favourites.remove(user_id, training_id)

    @put("/{training_id:int}", status_code=204)
    async def rate(
        self,
        favourites: NamedDependency[FavouriteService],
        trainings: NamedDependency[TrainingService],
        caller: NamedDependency[Caller],
        user_id: Id,
        training_id: Id,
        data: JSONBody[RatingUpdate],
    ) -> None:
        caller.require_self(user_id)
        if await trainings.trainer_of(training_id) == user_id:
            raise PermissionDeniedException("Trainers cannot rate their own trainings")
        await favourites.rate(user_id, training_id, data.rate)

    @get("/{training_id:int}/rating")
    async def rating(
        self,
        favourites: NamedDependency[FavouriteService],
        user_id: Id,
        training_id: Id,
    ) -> Rating:
        return await favourites.rating(user_id, training_id)

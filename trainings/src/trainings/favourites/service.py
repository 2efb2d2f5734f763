"""Favourites and ratings, always written by the user themself."""

import asyncpg
from litestar.exceptions import NotFoundException

from trainings import events, outbox
from trainings.errors import Conflict
from trainings.favourites import repository
from trainings.favourites.models import Rating
from trainings.trainings import repository as training_rows
from trainings.trainings.models import TrainingPage
from trainings.trainings.service import TrainingService, existing


class FavouriteService:
    def __init__(self, trainings: TrainingService) -> None:
        self.trainings = trainings
        self.pool: asyncpg.Pool = trainings.pool

    def _type(self, training: asyncpg.Record) -> str:
        return self.trainings.catalogue.type_name(training["type_id"])

    async def favourites(self, user_id: int, offset: int, limit: int) -> TrainingPage:
        limit = min(limit, self.trainings.max_page_size)
        return await self.trainings.page(
            offset,
            limit,
            lambda conn: repository.page(conn, user_id, offset, limit),
            lambda conn: repository.count(conn, user_id),
        )

    async def add(self, user_id: int, training_id: int) -> None:
        async with self.pool.acquire() as conn, conn.transaction():
            training = existing(await training_rows.get(conn, training_id))
            if not await repository.add(conn, user_id, training_id):
                raise Conflict("You already have that training as favourite.")
            await outbox.enqueue(
                conn, events.SOURCE, events.TRAINING_FAVOURITED_COUNT, self._type(training)
            )
        self.trainings.relay.notify()

    async def remove(self, user_id: int, training_id: int) -> None:
        async with self.pool.acquire() as conn, conn.transaction():
            training = existing(await training_rows.get(conn, training_id))
            if not await repository.remove(conn, user_id, training_id):
                return  # removing is idempotent
            await outbox.enqueue(
                conn, events.SOURCE, events.TRAINING_UNFAVOURITED_COUNT, self._type(training)
            )
        self.trainings.relay.notify()

    async def rate(self, user_id: int, training_id: int, rate: int) -> None:
        """Sets the user's rate (1-5) or clears it (0), and the training's totals with it (the
        route checked the user is the caller and not the training's trainer)."""
        async with self.pool.acquire() as conn, conn.transaction():
            # Locked: the rates of one training queue up.
            training = existing(await training_rows.lock(conn, training_id))
            previous = await repository.rate_of(conn, user_id, training_id)
            if previous == (rate or None):
                return
            if rate:
                await repository.set_rate(conn, user_id, training_id, rate)
                await outbox.enqueue(conn, events.SOURCE, events.TRAINING_RATED_COUNT, str(rate))
            else:
                await repository.clear_rate(conn, user_id, training_id)
                await outbox.enqueue(
                    conn, events.SOURCE, events.TRAINING_RATING_CLEARED_COUNT, self._type(training)
                )
            await training_rows.refresh_rating(conn, training_id)
        self.trainings.relay.notify()

    async def rating(self, user_id: int, training_id: int) -> Rating:
        async with self.pool.acquire() as conn:
            existing(await training_rows.get(conn, training_id))
            rate = await repository.rate_of(conn, user_id, training_id)
        if rate is None:
            raise NotFoundException("Rating not found.")
        return Rating(rate=rate)

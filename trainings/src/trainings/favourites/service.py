"""Favourites and ratings, always written by the user themself (the routes checked the caller).
Each function takes the services bag first."""

from litestar.exceptions import NotFoundException

from trainings import events, outbox
from trainings.errors import Conflict
from trainings.favourites import repository
from trainings.favourites.models import Rating
from trainings.services import Services
from trainings.trainings import repository as training_rows
from trainings.trainings import service as trainings
from trainings.trainings.models import TrainingPage
from trainings.trainings.service import existing


async def favourites(services: Services, user_id: int, offset: int, limit: int) -> TrainingPage:
    limit = trainings.page_size(services.settings, limit)
    return await trainings.page(
        services,
        offset,
        limit,
        lambda conn: repository.page(conn, user_id, offset, limit),
        lambda conn: repository.count(conn, user_id),
    )


async def add(services: Services, user_id: int, training_id: int) -> None:
    async with services.pool.acquire() as conn, conn.transaction():
        training = existing(await training_rows.get(conn, training_id))
        if not await repository.add(conn, user_id, training_id):
            raise Conflict("You already have that training as favourite.")
        type_name = services.catalogue.type_name(training["type_id"])
        await outbox.enqueue(conn, events.SOURCE, events.TRAINING_FAVOURITED_COUNT, type_name)
    services.relay.notify()


async def remove(services: Services, user_id: int, training_id: int) -> None:
    async with services.pool.acquire() as conn, conn.transaction():
        training = existing(await training_rows.get(conn, training_id))
        if not await repository.remove(conn, user_id, training_id):
            return  # removing is idempotent
        type_name = services.catalogue.type_name(training["type_id"])
        await outbox.enqueue(conn, events.SOURCE, events.TRAINING_UNFAVOURITED_COUNT, type_name)
    services.relay.notify()


async def rate(services: Services, user_id: int, training_id: int, rate: int) -> None:
    """Sets the user's rate (1-5) or clears it (0), and the training's totals with it (the route
    checked the user is the caller and not the training's trainer)."""
    async with services.pool.acquire() as conn, conn.transaction():
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
            type_name = services.catalogue.type_name(training["type_id"])
            await outbox.enqueue(
                conn, events.SOURCE, events.TRAINING_RATING_CLEARED_COUNT, type_name
            )
        await training_rows.refresh_rating(conn, training_id)
    services.relay.notify()


async def rating(services: Services, user_id: int, training_id: int) -> Rating:
    async with services.pool.acquire() as conn:
        existing(await training_rows.get(conn, training_id))
        rate = await repository.rate_of(conn, user_id, training_id)
    if rate is None:
        raise NotFoundException("Rating not found.")
    return Rating(rate=rate)

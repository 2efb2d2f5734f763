"""What other FiuFit services ask of trainings (the routes checked the service credential): the
trainings a moderation queue names, an admin's block relayed by users, the audit log, and a
user's deletion and export. Each function takes the services bag first."""

import asyncio
import contextlib

import asyncpg
from litestar.exceptions import ClientException

from trainings.audit import repository as audit
from trainings.audit.models import Action, AuditPage, TargetType
from trainings.errors import ServiceUnavailable
from trainings.favourites import repository as favourites
from trainings.internal.models import (
    MAX_EXPORTED,
    ExportedFavourite,
    ExportedRating,
    ExportedTraining,
    TrainingBlockUpdate,
    TrainingSummary,
    UserDeletion,
    UserExport,
)
from trainings.services import Services
from trainings.trainings import repository as trainings
from trainings.trainings import service as training_service
from trainings.trainings.repository import Filters


def parse_ids(text: str) -> list[int]:
    """The ids of `ids=1,2,3`, once each. The route's pattern has checked the form and the
    range, but Python's `$` also matches before a final newline, which the document's (ECMA)
    pattern refuses: so does this."""
    items = text.split(",")
    if not all(item.isascii() and item.isdigit() for item in items):
        raise ClientException("ids: comma-separated positive integers")
    return sorted({int(item) for item in items})


def to_summary(row: asyncpg.Record) -> TrainingSummary:
    return TrainingSummary(
        id=row["id"], trainer_id=row["trainer_id"], title=row["title"], blocked=row["blocked"]
    )


async def summaries(services: Services, ids: list[int]) -> list[TrainingSummary]:
    """Those of the trainings named that exist (unknown ids are left out)."""
    async with services.pool.acquire() as conn:
        rows = await trainings.summaries(conn, ids)
    return [to_summary(row) for row in rows]


async def set_blocked(
    services: Services, training_id: int, change: TrainingBlockUpdate
) -> TrainingSummary:
    """An admin's block or unblock, with its event and audit entry (the admin path's own)."""
    row = await training_service.set_blocked(
        services, training_id, change.blocked, change.actor_id, change.note
    )
    return to_summary(row)


async def audit_page(
    services: Services,
    *,
    actor_id: int | None,
    action: Action | None,
    target_type: TargetType | None,
    target_id: int | None,
    offset: int,
    limit: int,
) -> AuditPage:
    async with services.pool.acquire() as conn:
        items, total = await audit.page(
            conn,
            actor_id=actor_id,
            action=action,
            target_type=target_type,
            target_id=target_id,
            offset=offset,
            limit=limit,
        )
    return AuditPage(items=items, total=total)


async def _delete_media(services: Services, names: list[str]) -> None:
    """Deletes these objects from storage, a few at a time (one already gone is fine); a 503
    when storage fails on any of them."""
    slots = asyncio.Semaphore(services.settings.media_fetch_concurrency)

    async def delete(name: str) -> None:
        async with slots:
            await services.storage.delete(name)

    results = await asyncio.gather(*(delete(name) for name in names), return_exceptions=True)
    failed = next((result for result in results if isinstance(result, BaseException)), None)
    if failed is not None:
        raise failed


async def delete_user(services: Services, user_id: int) -> UserDeletion:
    """Removes what trainings holds of a deleted account: its favourites, its ratings (with the
    totals of every training rated recomputed) and the trainings it authored, with their
    exercises, everyone's favourites and ratings of them and their media. Idempotent.

    The media goes first, outside any transaction: should storage fail, the call is a 503 with
    nothing deleted from the database yet, and users retries it. The rows then go in one
    transaction."""
    async with services.pool.acquire() as conn:
        names = await trainings.media_of_trainer(conn, user_id)
    await _delete_media(services, names)
    async with services.pool.acquire() as conn, conn.transaction():
        # Locked before the ratings go, in id order, as a rate locks its training first.
        await trainings.lock_many(conn, await favourites.rated_by(conn, user_id))
        rated = await favourites.clear_rates_of(conn, user_id)
        await trainings.refresh_ratings(conn, rated)
        favourites_deleted = await favourites.remove_all(conn, user_id)
        deleted = await trainings.delete_of_trainer(conn, user_id)
    # Media a training got between the first look and the deletion: an orphan object is
    # harmless, so this last clean-up is best effort.
    late = {row["media"] for row in deleted if row["media"]} - set(names)
    with contextlib.suppress(ServiceUnavailable):
        await _delete_media(services, sorted(late))
    return UserDeletion(
        trainings_deleted=len(deleted),
        favourites_deleted=favourites_deleted,
        ratings_deleted=len(rated),
    )


async def export_user(services: Services, user_id: int) -> UserExport:
    """What trainings holds about a user, one query per list (and one for the exercises of the
    trainings), read from one snapshot; each list at most MAX_EXPORTED long."""
    catalogue = services.catalogue
    more = MAX_EXPORTED + 1  # one beyond the bound tells a list was cut
    async with (
        services.pool.acquire() as conn,
        conn.transaction(isolation="repeatable_read", readonly=True),
    ):
        authored = await trainings.search(conn, Filters(trainer_id=user_id), 0, more)
        exercises = await trainings.exercises_of(
            conn, [row["id"] for row in authored[:MAX_EXPORTED]]
        )
        liked = await favourites.page(conn, user_id, 0, more)
        rates = await favourites.ratings_of(conn, user_id, more)
    truncated = any(len(rows) > MAX_EXPORTED for rows in (authored, liked, rates))
    exported = []
    for row in authored[:MAX_EXPORTED]:
        training = training_service.to_training(catalogue, row, exercises[row["id"]], None)
        exported.append(
            ExportedTraining(
                id=training.id,
                trainer_id=training.trainer_id,
                title=training.title,
                description=training.description,
                type=training.type,
                difficulty=training.difficulty,
                media=row["media"] or None,
                exercises=training.exercises,
                rating=training.rating,
                rating_count=training.rating_count,
                blocked=training.blocked,
            )
        )
    return UserExport(
        trainings=exported,
        favourites=[
            ExportedFavourite(training_id=row["id"], title=row["title"])
            for row in liked[:MAX_EXPORTED]
        ],
        ratings=[
            ExportedRating(
                training_id=row["training_id"],
                title=row["title"],
                rate=row["rate"],
                date=row["updated_at"],
            )
            for row in rates[:MAX_EXPORTED]
        ],
        truncated=truncated,
    )

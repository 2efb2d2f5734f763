"""Trainings: search, read, create, edit and moderate. Each function takes the services bag first;
the permission checks are the routes'."""

import contextlib
import secrets
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

import asyncpg
from litestar.exceptions import NotFoundException
from prometheus_client import Counter

from trainings import events, outbox
from trainings.audit import repository as audit
from trainings.audit.models import Action, TargetType
from trainings.catalogue.service import Catalogue
from trainings.db import Connection
from trainings.errors import PayloadTooLarge, ServiceUnavailable
from trainings.inline import inline_within_budget
from trainings.services import Services
from trainings.settings import Settings
from trainings.storage import Wording
from trainings.trainings import repository
from trainings.trainings.models import (
    AdminTrainingUpdate,
    TrainerTrainingUpdate,
    Training,
    TrainingCreate,
    TrainingExercise,
    TrainingExerciseCreate,
    TrainingPage,
)
from trainings.trainings.repository import Filters

# Largest page of trainings or favourites; a larger `limit` is capped to it (the clients ask
# for 10, the back office at most 25). TRAININGS_MAX_PAGE_SIZE lowers it further.
MAX_LIMIT = 25

MEDIA_OMITTED = Counter(
    "fiufit_trainings_media_omitted",
    "Media left out of pages of trainings because the response's media budget was spent",
)
_BIGINT_MAX = 2**63 - 1

# What clients read when authentication's storage refuses media or fails (the 2023 texts).
MEDIA_WORDING = Wording(
    unavailable="Media storage is unavailable",
    refused="Invalid media: {detail}",
    too_large="Invalid media: {detail}",
)

T = TypeVar("T")


def new_media_name(training_id: int) -> str:
    """A new object name for every upload: a name always denotes the same bytes (or, once
    deleted, nothing ever again), so storage.py's read cache never goes stale, on any replica."""
    return f"trainings/{training_id}/media-{secrets.token_hex(8)}"


def mean_rating(total: int, count: int) -> int:
    """The mean of the rates, rounded half up (integer arithmetic: no float surprises)."""
    return (2 * total + count) // (2 * count) if count else 0


def page_total(offset: int, limit: int, returned: int) -> int | None:
    """The total when the page itself tells it (a partial page, or nothing from the start),
    which saves the count query; None when it must be counted."""
    if 0 < returned < limit or (returned == 0 and offset == 0):
        return offset + returned
    return None


def decoded_size(image: str) -> int:
    """Bytes a base64 image (maybe a data: URL) decodes to, without decoding it."""
    text = image.rpartition("base64,")[2]
    length = len(text) - sum(text.count(blank) for blank in " \t\r\n")
    return length * 3 // 4 - text.rstrip()[-2:].count("=")


def existing(found: T | None) -> T:
    """What a look-up of a training found; the 404 of an unknown training when it found nothing."""
    if found is None:
        raise NotFoundException("Training not found.")
    return found


def parse_trainer_id(text: str | None) -> int | None:
    """The wire's string trainer id as the stored integer; None when it cannot be one."""
    text = (text or "").strip()
    if not text.isascii() or not text.isdigit() or int(text) > _BIGINT_MAX:
        return None
    return int(text)


def page_size(settings: Settings, limit: int) -> int:
    """The `limit` asked for, capped to the largest page (MAX_LIMIT, TRAININGS_MAX_PAGE_SIZE)."""
    return min(limit, settings.max_page_size, MAX_LIMIT)


def to_training(
    catalogue: Catalogue,
    row: asyncpg.Record,
    exercises: list[asyncpg.Record],
    media: str | None,
    media_omitted: bool = False,
) -> Training:
    """The response for a training's row and its exercise rows, with its media as inlined."""
    return Training(
        id=row["id"],
        trainer_id=str(row["trainer_id"]),
        title=row["title"],
        description=row["description"],
        type=catalogue.type_name(row["type_id"]),
        difficulty=catalogue.difficulty_name(row["difficulty_id"]),
        media=media,
        media_omitted=media_omitted,
        exercises=[to_exercise(catalogue, item) for item in exercises],
        rating=mean_rating(row["rating_sum"], row["rating_count"]),
        rating_count=row["rating_count"],
        blocked=row["blocked"],
    )


def to_exercise(catalogue: Catalogue, item: asyncpg.Record) -> TrainingExercise:
    exercise = catalogue.exercise(item["exercise_id"])
    return TrainingExercise(
        name=exercise.name,
        type=exercise.type,
        unit=exercise.unit,
        count=item["count"],
        series=item["series"],
    )


def exercise_rows(
    catalogue: Catalogue, exercises: list[TrainingExerciseCreate]
) -> list[tuple[int, int, int | None]]:
    """The (exercise id, count, series) rows of a body's exercises; a 400 naming unknown ones."""
    ids = catalogue.exercise_ids([(e.name, e.unit) for e in exercises])
    return [(i, e.count, e.series) for i, e in zip(ids, exercises, strict=True)]


def content_changes(catalogue: Catalogue, edit: TrainerTrainingUpdate) -> dict[str, Any]:
    """The columns a trainer's edit writes, media aside (it is stored first)."""
    changes: dict[str, Any] = {}
    if edit.title is not None:
        changes["title"] = edit.title
    if edit.description is not None:
        changes["description"] = edit.description
    if edit.type is not None:
        changes["type_id"] = catalogue.type_id(edit.type)
    if edit.difficulty is not None:
        changes["difficulty_id"] = catalogue.difficulty_id(edit.difficulty)
    return changes


def check_names(catalogue: Catalogue, edit: TrainerTrainingUpdate) -> None:
    """A 400 for a type, difficulty or exercise the catalogue does not know, also where the
    sender's role does not apply that part of a PATCH body: the contract is one body for both."""
    content_changes(catalogue, edit)
    if edit.exercises is not None:
        exercise_rows(catalogue, edit.exercises)


# Reading ---------------------------------------------------------------------------------------


async def hydrate(
    services: Services,
    rows: Sequence[asyncpg.Record],
    exercises: dict[int, list[asyncpg.Record]],
) -> list[Training]:
    """Training objects for rows and their exercises (``repository.exercises_of``), with their
    media fetched concurrently (after the connection went back to the pool) and inlined within
    the response's media budget (trainings.inline)."""
    settings = services.settings
    names = [row["media"] or None for row in rows]
    media, omitted = await inline_within_budget(
        names,
        services.storage.get,
        services.storage.known_size,
        budget=settings.response_media_bytes,
        max_items=settings.response_media_items,
        concurrency=settings.media_fetch_concurrency,
    )
    if any(omitted):
        MEDIA_OMITTED.inc(sum(omitted))
    return [
        to_training(services.catalogue, row, exercises[row["id"]], image, left_out)
        for row, image, left_out in zip(rows, media, omitted, strict=True)
    ]


async def search(
    services: Services,
    *,
    title: str | None,
    training_type: str | None,
    difficulty: str | None,
    trainer_id: str | None,
    blocked: bool | None,
    offset: int,
    limit: int,
) -> TrainingPage:
    catalogue = services.catalogue
    limit = page_size(services.settings, limit)
    filters = Filters(
        trainer_id=parse_trainer_id(trainer_id),
        type_id=catalogue.type_id(training_type) if training_type else None,
        difficulty_id=catalogue.difficulty_id(difficulty) if difficulty else None,
        title_prefix=title or None,
        blocked=blocked,
    )
    if trainer_id and filters.trainer_id is None:  # no training has such a trainer
        return TrainingPage(items=[], offset=offset, limit=limit, count=0)
    return await page(
        services,
        offset,
        limit,
        lambda conn: repository.search(conn, filters, offset, limit),
        lambda conn: repository.count(conn, filters),
    )


async def page_rows(
    conn: Connection,
    offset: int,
    limit: int,
    rows_of: Callable[[Connection], Awaitable[list[asyncpg.Record]]],
    count_of: Callable[[Connection], Awaitable[int]],
) -> tuple[list[asyncpg.Record], int, dict[int, list[asyncpg.Record]]]:
    """A page's rows, its total (counted only when the page does not tell it) and its
    exercises: the queries of every list (and of the benchmark's bare reference)."""
    rows = await rows_of(conn)
    total = page_total(offset, limit, len(rows))
    if total is None:
        total = await count_of(conn)
    return rows, total, await repository.exercises_of(conn, [row["id"] for row in rows])


async def page(
    services: Services,
    offset: int,
    limit: int,
    rows_of: Callable[[Connection], Awaitable[list[asyncpg.Record]]],
    count_of: Callable[[Connection], Awaitable[int]],
) -> TrainingPage:
    """A page of trainings from a rows query and the count query of the same filter."""
    async with services.pool.acquire() as conn:
        rows, total, exercises = await page_rows(conn, offset, limit, rows_of, count_of)
    items = await hydrate(services, rows, exercises)
    return TrainingPage(items=items, offset=offset, limit=limit, count=total)


async def get(services: Services, training_id: int) -> Training:
    async with services.pool.acquire() as conn:
        row = existing(await repository.get(conn, training_id))
        exercises = await repository.exercises_of(conn, [training_id])
    [training] = await hydrate(services, [row], exercises)
    return training


async def trainer_of(services: Services, training_id: int) -> int:
    """The id of the training's trainer (404 when there is no such training): the routes check
    ownership with it."""
    async with services.pool.acquire() as conn:
        return existing(await repository.trainer_of(conn, training_id))


# Writing ---------------------------------------------------------------------------------------


async def create(services: Services, trainer_id: int, data: TrainingCreate) -> Training:
    """A training by this trainer (the route checked the caller is one)."""
    catalogue = services.catalogue
    type_id = catalogue.type_id(data.type)
    difficulty_id = catalogue.difficulty_id(data.difficulty)
    exercises = exercise_rows(catalogue, data.exercises)
    async with services.pool.acquire() as conn:
        training_id = await repository.next_id(conn)
    media = await _store_media(services, training_id, data.media)
    try:
        async with services.pool.acquire() as conn, conn.transaction():
            await repository.insert(
                conn,
                training_id,
                trainer_id,
                data.title,
                data.description,
                type_id,
                difficulty_id,
                media,
            )
            await repository.replace_exercises(conn, training_id, exercises)
            await outbox.enqueue(conn, events.SOURCE, events.TRAINING_CREATED_COUNT, data.type)
    except Exception:
        await _drop_media(services, media)
        raise
    services.relay.notify()
    return await get(services, training_id)


async def moderate(
    services: Services, admin_id: int, training_id: int, moderation: AdminTrainingUpdate
) -> Training:
    """An admin's change (the route checked the caller is an admin, `admin_id`)."""
    if moderation.blocked is not None:
        await set_blocked(services, training_id, moderation.blocked, admin_id)
    return await get(services, training_id)


async def update(
    services: Services, trainer_id: int, training_id: int, edit: TrainerTrainingUpdate
) -> Training:
    """The trainer's change of their training: the route checked the ownership, and the SQL is
    scoped to `trainer_id` as well."""
    await _edit_content(services, training_id, edit, trainer_id)
    return await get(services, training_id)


async def set_blocked(
    services: Services,
    training_id: int,
    blocked: bool,
    admin_id: int,
    note: str | None = None,
) -> asyncpg.Record:
    """Blocks or unblocks a training for an admin (`admin_id`, who the audit entry names), and
    returns its row as it now is (404 for an unknown training). The change, its event and its
    audit entry are one transaction; setting the value it already has writes none of them, so a
    retried call is recorded once."""
    async with services.pool.acquire() as conn, conn.transaction():
        row = existing(await repository.lock(conn, training_id))
        if row["blocked"] == blocked:
            return row
        await repository.update(conn, training_id, {"blocked": blocked})
        metric = events.TRAINING_BLOCKED_COUNT if blocked else events.TRAINING_UNBLOCKED_COUNT
        await outbox.enqueue(
            conn, events.SOURCE, metric, services.catalogue.type_name(row["type_id"])
        )
        after: dict[str, Any] = {"blocked": blocked}
        if note is not None:
            after["note"] = note
        await audit.record(
            conn,
            admin_id,
            Action.TRAINING_BLOCKED if blocked else Action.TRAINING_UNBLOCKED,
            TargetType.TRAINING,
            training_id,
            before={"blocked": row["blocked"]},
            after=after,
        )
        changed = await repository.get(conn, training_id)
    services.relay.notify()
    return existing(changed)


async def _edit_content(
    services: Services, training_id: int, edit: TrainerTrainingUpdate, trainer_id: int | None
) -> None:
    catalogue = services.catalogue
    changes = content_changes(catalogue, edit)
    exercises = exercise_rows(catalogue, edit.exercises) if edit.exercises is not None else None
    if edit.media is not None:
        changes["media"] = await _store_media(services, training_id, edit.media)
    try:
        async with services.pool.acquire() as conn, conn.transaction():
            row = existing(await repository.lock(conn, training_id, trainer_id))
            await repository.update(conn, training_id, changes)
            if exercises is not None:
                await repository.replace_exercises(conn, training_id, exercises)
    except Exception:
        await _drop_media(services, changes.get("media"))
        raise
    if "media" in changes and row["media"] != changes["media"]:
        await _drop_media(services, row["media"])


async def _store_media(services: Services, training_id: int, image: str | None) -> str | None:
    if not image:
        return None
    largest = services.settings.max_image_bytes
    if decoded_size(image) > largest:
        raise PayloadTooLarge(f"Invalid media: larger than {largest} bytes")
    name = new_media_name(training_id)
    await services.storage.put(name, image)
    return name


async def _drop_media(services: Services, name: str | None) -> None:
    """Best effort: an orphan object is harmless, a failed request is not worth a failure
    (storage.py logged it)."""
    if name:
        with contextlib.suppress(ServiceUnavailable):
            await services.storage.delete(name)

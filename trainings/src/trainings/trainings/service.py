"""Trainings: search, read, create, edit and moderate."""

import contextlib
import secrets
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

import asyncpg
from litestar.exceptions import NotFoundException
from prometheus_client import Counter

from trainings import events, outbox
from trainings.catalogue.service import Catalogue
from trainings.db import Connection
from trainings.errors import PayloadTooLarge, ServiceUnavailable
from trainings.inline import inline_within_budget
from trainings.outbox import OutboxRelay
from trainings.storage import Storage, Wording
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


class TrainingService:
    def __init__(
        self,
        pool: asyncpg.Pool,
        catalogue: Catalogue,
        storage: Storage,
        relay: OutboxRelay,
        *,
        max_page_size: int = MAX_LIMIT,
        media_budget: int = 8 * 1024 * 1024,
        media_items: int = MAX_LIMIT,
        max_image_bytes: int = 5 * 1024 * 1024,
        media_concurrency: int = 10,
    ) -> None:
        self.pool = pool
        self.catalogue = catalogue
        self.storage = storage
        self.relay = relay
        self.max_page_size = min(max_page_size, MAX_LIMIT)
        self._media_budget = media_budget
        self._media_items = media_items
        self._max_image_bytes = max_image_bytes
        self._media_concurrency = media_concurrency

    # Reading ---------------------------------------------------------------------------------

    async def hydrate(
        self, rows: Sequence[asyncpg.Record], exercises: dict[int, list[asyncpg.Record]]
    ) -> list[Training]:
        """Training objects for rows and their exercises (``repository.exercises_of``), with
        their media fetched concurrently (after the connection went back to the pool) and
        inlined within the response's media budget (trainings.inline)."""
        names = [row["media"] or None for row in rows]
        media, omitted = await inline_within_budget(
            names,
            self.storage.get,
            self.storage.known_size,
            budget=self._media_budget,
            max_items=self._media_items,
            concurrency=self._media_concurrency,
        )
        if any(omitted):
            MEDIA_OMITTED.inc(sum(omitted))
        return [
            self._to_training(row, exercises[row["id"]], image, left_out)
            for row, image, left_out in zip(rows, media, omitted, strict=True)
        ]

    def _to_training(
        self,
        row: asyncpg.Record,
        exercises: list[asyncpg.Record],
        media: str | None,
        media_omitted: bool = False,
    ) -> Training:
        catalogue = self.catalogue
        return Training(
            id=row["id"],
            trainer_id=str(row["trainer_id"]),
            title=row["title"],
            description=row["description"],
            type=catalogue.type_name(row["type_id"]),
            difficulty=catalogue.difficulty_name(row["difficulty_id"]),
            media=media,
            media_omitted=media_omitted,
            exercises=[self._to_exercise(item) for item in exercises],
            rating=mean_rating(row["rating_sum"], row["rating_count"]),
            rating_count=row["rating_count"],
            blocked=row["blocked"],
        )

    def _to_exercise(self, item: asyncpg.Record) -> TrainingExercise:
        exercise = self.catalogue.exercise(item["exercise_id"])
        return TrainingExercise(
            name=exercise.name,
            type=exercise.type,
            unit=exercise.unit,
            count=item["count"],
            series=item["series"],
        )

    async def search(
        self,
        *,
        title: str | None,
        training_type: str | None,
        difficulty: str | None,
        trainer_id: str | None,
        blocked: bool | None,
        offset: int,
        limit: int,
    ) -> TrainingPage:
        limit = min(limit, self.max_page_size)
        filters = Filters(
            trainer_id=parse_trainer_id(trainer_id),
            type_id=self.catalogue.type_id(training_type) if training_type else None,
            difficulty_id=self.catalogue.difficulty_id(difficulty) if difficulty else None,
            title_prefix=title or None,
            blocked=blocked,
        )
        if trainer_id and filters.trainer_id is None:  # no training has such a trainer
            return TrainingPage(items=[], offset=offset, limit=limit, count=0)
        return await self.page(
            offset,
            limit,
            lambda conn: repository.search(conn, filters, offset, limit),
            lambda conn: repository.count(conn, filters),
        )

    async def page(
        self,
        offset: int,
        limit: int,
        rows_of: Callable[[Connection], Awaitable[list[asyncpg.Record]]],
        count_of: Callable[[Connection], Awaitable[int]],
    ) -> TrainingPage:
        """A page of trainings from a rows query and the count query of the same filter."""
        async with self.pool.acquire() as conn:
            rows = await rows_of(conn)
            total = page_total(offset, limit, len(rows))
            if total is None:
                total = await count_of(conn)
            exercises = await repository.exercises_of(conn, [row["id"] for row in rows])
        items = await self.hydrate(rows, exercises)
        return TrainingPage(items=items, offset=offset, limit=limit, count=total)

    async def get(self, training_id: int) -> Training:
        async with self.pool.acquire() as conn:
            row = existing(await repository.get(conn, training_id))
            exercises = await repository.exercises_of(conn, [training_id])
        [training] = await self.hydrate([row], exercises)
        return training

    # Writing ---------------------------------------------------------------------------------

    def _exercise_rows(
        self, exercises: list[TrainingExerciseCreate]
    ) -> list[tuple[int, int, int | None]]:
        ids = self.catalogue.exercise_ids([(e.name, e.unit) for e in exercises])
        return [(i, e.count, e.series) for i, e in zip(ids, exercises, strict=True)]

    async def create(self, trainer_id: int, data: TrainingCreate) -> Training:
        """A training by this trainer (the route checked the caller is one)."""
        type_id = self.catalogue.type_id(data.type)
        difficulty_id = self.catalogue.difficulty_id(data.difficulty)
        exercises = self._exercise_rows(data.exercises)
        async with self.pool.acquire() as conn:
            training_id = await repository.next_id(conn)
        media = await self._store_media(training_id, data.media)
        try:
            async with self.pool.acquire() as conn, conn.transaction():
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
            await self._drop_media(media)
            raise
        self.relay.notify()
        return await self.get(training_id)

    async def trainer_of(self, training_id: int) -> int:
        """The id of the training's trainer (404 when there is no such training): the routes
        check ownership with it."""
        async with self.pool.acquire() as conn:
            return existing(await repository.trainer_of(conn, training_id))

    async def moderate(self, training_id: int, moderation: AdminTrainingUpdate) -> Training:
        """An admin's change (the route checked the caller is an admin)."""
        await self._moderate(training_id, moderation)
        return await self.get(training_id)

    async def update(self, training_id: int, edit: TrainerTrainingUpdate) -> Training:
        """The trainer's change of their training (the route checked the ownership)."""
        await self._edit_content(training_id, edit)
        return await self.get(training_id)

    async def _moderate(self, training_id: int, moderation: AdminTrainingUpdate) -> None:
        if moderation.blocked is None:
            return
        async with self.pool.acquire() as conn, conn.transaction():
            row = existing(await repository.lock(conn, training_id))
            if row["blocked"] == moderation.blocked:
                return
            await repository.update(conn, training_id, {"blocked": moderation.blocked})
            metric = (
                events.TRAINING_BLOCKED_COUNT
                if moderation.blocked
                else events.TRAINING_UNBLOCKED_COUNT
            )
            await outbox.enqueue(
                conn, events.SOURCE, metric, self.catalogue.type_name(row["type_id"])
            )
        self.relay.notify()

    async def _edit_content(self, training_id: int, edit: TrainerTrainingUpdate) -> None:
        changes: dict[str, Any] = {}
        if edit.title is not None:
            changes["title"] = edit.title
        if edit.description is not None:
            changes["description"] = edit.description
        if edit.type is not None:
            changes["type_id"] = self.catalogue.type_id(edit.type)
        if edit.difficulty is not None:
            changes["difficulty_id"] = self.catalogue.difficulty_id(edit.difficulty)
        exercises = self._exercise_rows(edit.exercises) if edit.exercises is not None else None
        if edit.media is not None:
            changes["media"] = await self._store_media(training_id, edit.media)
        try:
            async with self.pool.acquire() as conn, conn.transaction():
                row = existing(await repository.lock(conn, training_id))
                await repository.update(conn, training_id, changes)
                if exercises is not None:
                    await repository.replace_exercises(conn, training_id, exercises)
        except Exception:
            await self._drop_media(changes.get("media"))
            raise
        if "media" in changes and row["media"] != changes["media"]:
            await self._drop_media(row["media"])

    async def _store_media(self, training_id: int, image: str | None) -> str | None:
        if not image:
            return None
        if decoded_size(image) > self._max_image_bytes:
            raise PayloadTooLarge(f"Invalid media: larger than {self._max_image_bytes} bytes")
        name = new_media_name(training_id)
        await self.storage.put(name, image)
        return name

    async def _drop_media(self, name: str | None) -> None:
        """Best effort: an orphan object is harmless, a failed request is not worth a failure
        (storage.py logged it)."""
        if name:
            with contextlib.suppress(ServiceUnavailable):
                await self.storage.delete(name)

"""Goal rules: deadlines, completion, the progress log, images and events. Callers come
authorised: the routes check who may do what."""

import contextlib
import logging
from datetime import date, datetime
from decimal import Decimal

import asyncpg
from litestar.exceptions import (
    ClientException,
    HTTPException,
    NotFoundException,
)
from prometheus_client import Counter

from goals import events, outbox
from goals.catalogue import repository as catalogue
from goals.clock import earliest_today
from goals.errors import PayloadTooLarge
from goals.goals import repository
from goals.goals.models import Goal, GoalCreate, GoalUpdate
from goals.inline import inline_within_budget
from goals.numbers import as_number
from goals.progress import repository as progress_log
from goals.services import Services
from goals.storage import Wording

log = logging.getLogger(__name__)

# The most goals one GET /goals/{user_id} returns (the app shows at most a week's goals).
MAX_LIST = 100

LIST_IMAGES_OMITTED = Counter(
    "fiufit_goals_list_images_omitted",
    "Images left out of goals lists because the response's image budget was spent",
)

_DATA_URL_PREFIX = "base64,"

# What clients read when authentication's storage refuses an image or fails.
IMAGE_WORDING = Wording(
    unavailable="Image storage is unavailable", refused="Invalid image: {detail}"
)


def image_name(goal_id: int) -> str:
    """A goal's image in authentication's storage (a goal's image never changes)."""
    return f"goals/{goal_id}/image"


def completed_at(
    progress: Decimal, objective: Decimal, previous: datetime | None, now: datetime
) -> datetime | None:
    """A goal is completed while its progress reaches its objective; the instant it got there."""
    if progress < objective:
        return None
    return previous or now


def base64_of(image: str) -> str:
    """The base64 text of an image sent plain or as a data: URL."""
    return image.rpartition(_DATA_URL_PREFIX)[2]


def decoded_size(image: str) -> int:
    """Bytes a base64 image (maybe a data: URL) decodes to, without decoding it."""
    text = base64_of(image)
    length = len(text) - sum(text.count(blank) for blank in " \t\r\n")
    return length * 3 // 4 - text.rstrip()[-2:].count("=")


def check_deadline(time_limit: date, now: datetime) -> None:
    if time_limit < earliest_today(now):
        raise ClientException("time_limit is in the past")


def goal_of(
    row: asyncpg.Record, image: str | None, today: date, image_omitted: bool = False
) -> Goal:
    """A goal row as clients read it; `today` is the earliest date on Earth (clock.py)."""
    done_at = row["completed_at"]
    time_limit = row["time_limit"]
    # In the order of Goal's fields.
    return Goal(
        row["id"],
        row["user_id"],
        row["title"],
        row["description"],
        row["metric"],
        row["unit"],
        as_number(row["objective"]),
        as_number(row["progress"]),
        time_limit,
        image,
        image_omitted,
        done_at is not None,
        done_at,
        done_at is None and time_limit < today,
        row["created_at"],
        row["updated_at"],
    )


async def _with_images(services: Services, rows: list[asyncpg.Record]) -> list[Goal]:
    """The goals of rows, their images inlined within the response budget (goals.inline)."""
    storage, settings = services.storage, services.settings

    async def image_named(name: str) -> str | None:
        """A goal's image, or None: a storage outage costs the picture, not the list."""
        try:
            return await storage.get(name)
        except HTTPException as error:
            log.warning("image %s unavailable: %s", name, error.detail)
            return None

    names = [image_name(row["id"]) if row["has_image"] else None for row in rows]
    images, omitted = await inline_within_budget(
        names,
        image_named,
        storage.known_size,
        budget=settings.list_image_budget_bytes,
        max_items=settings.list_max_images,
        concurrency=settings.image_fetch_concurrency,
    )
    if any(omitted):
        LIST_IMAGES_OMITTED.inc(sum(omitted))
    today = earliest_today(services.clock())
    return [
        goal_of(row, image, today, left_out)
        for row, image, left_out in zip(rows, images, omitted, strict=True)
    ]


async def list_goals(
    services: Services, user_id: int, offset: int = 0, limit: int = MAX_LIST
) -> list[Goal]:
    async with services.pool.acquire() as conn:
        rows = await repository.list_for_user(conn, user_id, offset, min(limit, MAX_LIST))
    return await _with_images(services, rows)


async def create(services: Services, user_id: int, data: GoalCreate) -> Goal:
    now = services.clock()
    check_deadline(data.time_limit, now)
    async with services.pool.acquire() as conn:
        if await catalogue.unit_of(conn, data.metric) is None:
            valid = ", ".join(row["name"] for row in await catalogue.list_metrics(conn))
            raise ClientException(f"Unknown metric {data.metric!r}; valid metrics: {valid}")
        goal_id = await repository.next_id(conn)
    max_image_bytes = services.settings.max_image_bytes
    if data.image is not None and decoded_size(data.image) > max_image_bytes:
        raise PayloadTooLarge(f"Image larger than {max_image_bytes} bytes")
    # The image goes first: if storage refuses it, no goal row was ever written.
    if data.image is not None:
        await services.storage.put(image_name(goal_id), data.image)
    try:
        async with services.pool.acquire() as conn, conn.transaction():
            row = await repository.insert(
                conn,
                goal_id=goal_id,
                user_id=user_id,
                title=data.title,
                description=data.description,
                metric=data.metric,
                objective=data.objective,
                time_limit=data.time_limit,
                has_image=data.image is not None,
                now=now,
            )
            await outbox.enqueue(
                conn, events.SOURCE, events.GOAL_CREATED_COUNT, data.metric, at=now
            )
    except BaseException:
        if data.image is not None:
            with contextlib.suppress(HTTPException):
                await services.storage.delete(image_name(goal_id))
        raise
    services.relay.notify()
    image = base64_of(data.image) if data.image else None
    return goal_of(row, image, earliest_today(now))


async def owner_of(services: Services, goal_id: int) -> int:
    """The id of the user the goal belongs to; 404 when there is no such goal."""
    async with services.pool.acquire() as conn:
        owner = await repository.owner_of(conn, goal_id)
    if owner is None:
        raise NotFoundException("No such goal")
    return owner


async def update(services: Services, owner_id: int, goal_id: int, data: GoalUpdate) -> Goal:
    """`owner_id`'s edit of their goal (the scope is in the SQL as well as on the route)."""
    now = services.clock()
    completed_now = False
    async with services.pool.acquire() as conn, conn.transaction():
        current = await repository.lock(conn, goal_id, owner_id)
        if current is None:
            raise NotFoundException("No such goal")
        if data.time_limit is not None and data.time_limit != current["time_limit"]:
            check_deadline(data.time_limit, now)
        progress = current["progress"] if data.progress is None else data.progress
        objective = current["objective"] if data.objective is None else data.objective
        done_at = completed_at(progress, objective, current["completed_at"], now)
        row = await repository.update(
            conn,
            goal_id,
            title=data.title or current["title"],
            description=data.description or current["description"],
            objective=objective,
            time_limit=data.time_limit or current["time_limit"],
            progress=progress,
            completed_at=done_at,
            now=now,
        )
        if progress != current["progress"]:
            await progress_log.append(
                conn,
                user_id=current["user_id"],
                metric=current["metric"],
                goal_id=goal_id,
                progress=progress,
                delta=progress - current["progress"],
                recorded_at=now,
            )
        if done_at is not None and current["completed_at"] is None:
            completed_now = True
            await outbox.enqueue(
                conn, events.SOURCE, events.GOAL_COMPLETED_COUNT, current["metric"], at=now
            )
    if completed_now:
        services.relay.notify()
    [goal] = await _with_images(services, [row])
    return goal


async def delete(services: Services, owner_id: int, goal_id: int) -> None:
    async with services.pool.acquire() as conn:
        deleted = await repository.delete(conn, goal_id, owner_id)
    if deleted is None:
        raise NotFoundException("No such goal")
    if deleted["has_image"]:
        try:
            await services.storage.delete(image_name(goal_id))
        except HTTPException as error:  # the goal is gone; an orphaned image is harmless
            log.warning("image of deleted goal %s not removed: %s", goal_id, error.detail)

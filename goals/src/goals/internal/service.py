"""A user's goals as a whole, for the users service: their erasure when the account is deleted,
and their export. Callers come authorised (the service credential, on the route)."""

import asyncio
import logging
from collections import defaultdict
from datetime import date

import asyncpg
from litestar.exceptions import HTTPException

from goals.clock import earliest_today
from goals.goals import repository as goals
from goals.goals.service import image_name
from goals.internal import repository
from goals.internal.models import Deletion, Export, ExportedGoal, ProgressEntry
from goals.numbers import as_number
from goals.services import Services

log = logging.getLogger(__name__)

# An export's bounds: it is one response, held in memory whole.
MAX_GOALS = 500
MAX_PROGRESS = 1000


async def _delete_images(services: Services, names: list[str]) -> None:
    """Deletes the objects (one already gone is fine), at most GOALS_IMAGE_FETCH_CONCURRENCY
    at once; the first failure (storage unavailable, a 503) is raised once all have run."""
    slots = asyncio.Semaphore(services.settings.image_fetch_concurrency)

    async def delete(name: str) -> None:
        async with slots:
            await services.storage.delete(name)

    outcomes = await asyncio.gather(*(delete(name) for name in names), return_exceptions=True)
    for outcome in outcomes:
        if isinstance(outcome, BaseException):
            raise outcome


async def delete_user(services: Services, user_id: int) -> Deletion:
    """Erases the user's goals, their images and the user's whole progress log. The images go
    first: while storage is unavailable nothing is deleted from the database, so the caller's
    retry finds every image name again (the objects deleted by an interrupted attempt are
    already missing, which is fine)."""
    async with services.pool.acquire() as conn:
        with_images = await repository.goals_with_images(conn, user_id)
    await _delete_images(services, [image_name(goal_id) for goal_id in with_images])
    async with services.pool.acquire() as conn, conn.transaction():
        deleted = await repository.delete_goals(conn, user_id)
        progress_deleted = await repository.delete_progress(conn, user_id)
    images_deleted = len(with_images)
    # A goal with an image created since the names were read: its row is gone now, so its
    # image goes too, as a goal's own deletion does it (a failure leaves a harmless orphan).
    known = set(with_images)
    for row in deleted:
        if row["has_image"] and row["id"] not in known:
            try:
                await services.storage.delete(image_name(row["id"]))
                images_deleted += 1
            except HTTPException as error:
                log.warning("image of erased goal %s not removed: %s", row["id"], error.detail)
    return Deletion(len(deleted), progress_deleted, images_deleted)


def exported_goal(row: asyncpg.Record, progress: list[ProgressEntry], today: date) -> ExportedGoal:
    """A goal row (goals/repository.py's shape) as an export carries it; `today` is the
    earliest date on Earth (clock.py)."""
    done_at = row["completed_at"]
    time_limit = row["time_limit"]
    return ExportedGoal(
        id=row["id"],
        user_id=row["user_id"],
        title=row["title"],
        description=row["description"],
        metric=row["metric"],
        unit=row["unit"],
        objective=as_number(row["objective"]),
        current_progress=as_number(row["progress"]),
        time_limit=time_limit,
        image=image_name(row["id"]) if row["has_image"] else None,
        completed=done_at is not None,
        completed_at=done_at,
        expired=done_at is None and time_limit < today,
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        progress=progress,
    )


async def export_user(services: Services, user_id: int) -> Export:
    """The user's goals in their list's order (completed first), each with its progress
    history; one query for the goals and one for all their progress, each asking for one row
    more than its bound to tell whether it cut anything."""
    async with services.pool.acquire() as conn:
        rows = await goals.list_for_user(conn, user_id, 0, MAX_GOALS + 1)
        rows, more_goals = rows[:MAX_GOALS], len(rows) > MAX_GOALS
        entries = await repository.progress_of_goals(
            conn, user_id, [row["id"] for row in rows], MAX_PROGRESS + 1
        )
    entries, more_progress = entries[:MAX_PROGRESS], len(entries) > MAX_PROGRESS
    history: defaultdict[int, list[ProgressEntry]] = defaultdict(list)
    for entry in entries:
        history[entry["goal_id"]].append(
            ProgressEntry(
                as_number(entry["progress"]), as_number(entry["delta"]), entry["recorded_at"]
            )
        )
    today = earliest_today(services.clock())
    return Export(
        [exported_goal(row, history.get(row["id"], []), today) for row in rows],
        more_goals or more_progress,
    )

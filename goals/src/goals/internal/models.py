"""What the internal routes answer (the users service reads them)."""

from datetime import date, datetime

import msgspec

from goals.numbers import Number


class Deletion(msgspec.Struct):
    """What one erasure removed: zeros when there was nothing (left) to remove."""

    goals_deleted: int
    progress_deleted: int
    images_deleted: int


class ProgressEntry(msgspec.Struct):
    """One change of a goal's progress, as the progress log recorded it."""

    # The goal's progress after the change, and the change itself (negative for a correction).
    progress: Number
    delta: Number
    recorded_at: datetime


class ExportedGoal(msgspec.Struct):
    """A goal as clients read it (goals.models.Goal), for an export: the image by reference,
    never inlined, and the goal's progress history under `progress`, so the goal's current
    progress is `current_progress`."""

    id: int
    user_id: int
    title: str
    description: str
    metric: str
    unit: str
    objective: Number
    current_progress: Number
    time_limit: date
    # The object's name in authentication's storage (/auth/storage/<name>), or None.
    image: str | None
    completed: bool
    completed_at: datetime | None
    expired: bool
    created_at: datetime
    updated_at: datetime
    # Oldest first.
    progress: list[ProgressEntry]


class Export(msgspec.Struct):
    """A user's goals. `truncated` when the bounds (MAX_GOALS goals, MAX_PROGRESS progress
    entries in all, internal/service.py) left something out."""

    goals: list[ExportedGoal]
    truncated: bool

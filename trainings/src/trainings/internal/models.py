"""Wire shapes of the internal routes, which other FiuFit services call (the users service, which
orchestrates a user's deletion and export and owns the moderation queue). Bodies are read
tolerantly like every other (unknown fields ignored, numbers may be numeric strings)."""

from datetime import datetime
from typing import Annotated

import msgspec
from pydantic import BaseModel

from trainings import inputs
from trainings.trainings.models import TrainingExercise

BIGINT_MAX = 2**63 - 1
# The longest list of ids one GET /internal/trainings names, and the longest export list.
MAX_IDS = 100
MAX_EXPORTED = 500
NOTE = 1000
Note = Annotated[str, *inputs.free_text(NOTE)]


class TrainingBlockUpdate(BaseModel):
    """PUT /internal/trainings/{id}/blocked: an admin's block or unblock, relayed by users."""

    blocked: inputs.Boolean
    # The admin who decided it, whom the audit entry names.
    actor_id: Annotated[int, *inputs.integer(1, BIGINT_MAX)]
    # Why, as the admin wrote it; kept in the audit entry's `after`.
    note: Note | None = inputs.optional(inputs.free_text_schema(NOTE))


class TrainingSummary(msgspec.Struct, kw_only=True):
    id: int
    trainer_id: int
    title: str
    blocked: bool


class UserDeletion(msgspec.Struct, kw_only=True):
    """What DELETE /internal/users/{id} removed: the trainings the user authored, and the user's
    own favourites and ratings (other users' favourites and ratings of the deleted trainings go
    with them, uncounted). All zero when there was nothing left to remove."""

    trainings_deleted: int
    favourites_deleted: int
    ratings_deleted: int


class ExportedTraining(msgspec.Struct, kw_only=True):
    """A training the user authored, as GET /trainings/{id} shows it but for `media`, which is
    the name of its object in authentication's storage, never the image itself."""

    id: int
    trainer_id: str
    title: str
    description: str
    type: str
    difficulty: str
    media: str | None  # the storage object name (authentication's /auth/storage/{name})
    exercises: list[TrainingExercise]
    rating: int
    rating_count: int
    blocked: bool


class ExportedFavourite(msgspec.Struct, kw_only=True):
    training_id: int
    title: str


class ExportedRating(msgspec.Struct, kw_only=True):
    training_id: int
    title: str
    rate: int  # 1-5
    date: datetime  # when the user last set it (UTC)


class UserExport(msgspec.Struct, kw_only=True):
    """Everything trainings holds about a user, each list at most MAX_EXPORTED long."""

    trainings: list[ExportedTraining]  # newest first
    favourites: list[ExportedFavourite]  # in the order they were added
    ratings: list[ExportedRating]  # by training
    truncated: bool  # true when a list was cut at MAX_EXPORTED

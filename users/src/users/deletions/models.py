"""An account deletion and the steps that take the user's data out of every place holding it."""

from datetime import datetime
from enum import StrEnum

import msgspec


class Step(StrEnum):
    """Everything outside the users row, each idempotent (the row, the follows and the warnings
    go in the deletion's own transaction; payment unlinks the wallet before it)."""

    FIREBASE = "firebase"  # the account: no login path is left
    AVATAR = "avatar"  # the image in authentication's storage
    POSITION = "position"  # the point in MongoDB
    TRAININGS = "trainings"  # favourites, ratings, authored trainings (trainings README)
    GOALS = "goals"  # goals, their progress and images (goals README)


class Deletion(msgspec.Struct):
    user_id: int
    requested_at: datetime
    requested_by: int | None  # the admin who deleted the account; None when the user did
    pending: list[Step]  # the steps still to complete
    attempts: int  # rounds that left a step pending
    last_error: str | None
    completed_at: datetime | None

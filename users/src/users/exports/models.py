"""GET /users/{id}/export: everything FiuFit holds about a user, gathered from every service."""

from datetime import datetime
from typing import Any

import msgspec

from users.profiles.models import User
from users.reports.models import IssuedWarning


class Person(msgspec.Struct):
    """Another account in a follow list, by id and username only."""

    id: int
    username: str


class Position(msgspec.Struct):
    coordinates: list[float]  # [longitude, latitude]


class WalletExport(msgspec.Struct):
    address: str | None  # None when the wallet was never created
    movements: list[dict[str, Any]]  # payment's ledger entries, newest first
    movements_total: int


class Export(msgspec.Struct):
    """Bounded: every list is capped (`truncated` says when one was cut) and media is named by
    reference, never inlined."""

    exported_at: datetime
    profile: User
    avatar: str | None  # the image's name in storage, when there is one
    position: Position | None
    followers: list[Person]
    followed: list[Person]
    warnings: list[IssuedWarning]
    trainings: dict[str, Any]  # trainings' part: authored trainings, favourites, ratings
    goals: dict[str, Any]  # goals' part: goals with their progress history
    wallet: WalletExport
    truncated: bool

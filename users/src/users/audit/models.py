"""What the audit log holds and answers."""

from datetime import datetime
from enum import StrEnum
from typing import Any

import msgspec


class Action(StrEnum):
    USER_BLOCKED = "user_blocked"
    USER_UNBLOCKED = "user_unblocked"
    ADMIN_CREATED = "admin_created"
    REPORT_RESOLVED = "report_resolved"
    USER_SUSPENDED = "user_suspended"
    SUSPENSION_EXPIRED = "suspension_expired"  # lifted by the platform: no actor
    USER_DELETED = "user_deleted"  # another's account, by an admin
    TRAINING_BLOCKED = "training_blocked"  # trainings' log
    TRAINING_UNBLOCKED = "training_unblocked"  # trainings' log
    WALLET_TOPPED_UP = "wallet_topped_up"  # payment's log


class TargetType(StrEnum):
    USER = "user"
    ADMIN = "admin"
    REPORT = "report"
    TRAINING = "training"


class Source(StrEnum):
    """Each service keeps the log of the admin actions on its own data, in the action's own
    transaction; GET /admins/audit reads the three as one."""

    USERS = "users"
    TRAININGS = "trainings"
    PAYMENT = "payment"


class AuditEntry(msgspec.Struct):
    id: int
    at: datetime
    actor_id: int | None  # the admin who acted; None for the platform (a suspension ran out)
    action: Action
    target_type: TargetType
    target_id: int
    before: dict[str, Any] | None  # the relevant values before the action, where it changed any
    after: dict[str, Any] | None
    source: Source = Source.USERS  # whose log holds it; `id` is unique within that log


class AuditPage(msgspec.Struct):
    items: list[AuditEntry]
    total: int
    page: int
    size: int
    pages: int
    # The logs that could not be read (their service is down): their entries are missing from
    # this page and from `total`. Empty when the page is the whole record.
    unavailable: list[Source] = msgspec.field(default_factory=list)

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


class TargetType(StrEnum):
    USER = "user"
    ADMIN = "admin"
    REPORT = "report"


class AuditEntry(msgspec.Struct):
    id: int
    at: datetime
    actor_id: int | None  # the admin who acted; None for the platform (a suspension ran out)
    action: Action
    target_type: TargetType
    target_id: int
    before: dict[str, Any] | None  # the relevant values before the action, where it changed any
    after: dict[str, Any] | None


class AuditPage(msgspec.Struct):
    items: list[AuditEntry]
    total: int
    page: int
    size: int
    pages: int

"""What the audit log of admin actions holds and answers (GET /internal/audit)."""

from datetime import datetime
from enum import StrEnum
from typing import Any

import msgspec


class Action(StrEnum):
    TRAINING_BLOCKED = "training_blocked"
    TRAINING_UNBLOCKED = "training_unblocked"


class TargetType(StrEnum):
    TRAINING = "training"


class AuditEntry(msgspec.Struct, kw_only=True):
    id: int
    at: datetime  # UTC
    actor_id: int  # the admin who acted
    action: Action
    target_type: TargetType
    target_id: int
    before: dict[str, Any] | None  # the values the action changed, as they were
    after: dict[str, Any] | None  # and as it left them


class AuditPage(msgspec.Struct, kw_only=True):
    items: list[AuditEntry]  # newest first
    total: int  # every entry of the filters, regardless of offset and limit

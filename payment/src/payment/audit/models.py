"""What the audit log holds and answers."""

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel

# The migration's CHECKs list the same values.
Action = Literal["wallet_topped_up"]
TargetType = Literal["user"]


class AuditEntry(BaseModel):
    id: int
    at: datetime
    actor_id: int  # the admin who acted
    action: Action
    target_type: TargetType
    target_id: int
    before: dict[str, Any] | None  # the relevant values before the action, where it changed any
    after: dict[str, Any] | None


class AuditPage(BaseModel):
    items: list[AuditEntry]
    total: int

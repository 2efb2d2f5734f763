"""Reports, their resolution and warnings: what callers send and what they get."""

from datetime import datetime
from enum import StrEnum
from typing import Annotated

import msgspec
from pydantic import BaseModel, ConfigDict, Field, model_validator

from users.inputs import NO_NUL


class Reason(StrEnum):
    SPAM = "spam"
    HARASSMENT = "harassment"
    INAPPROPRIATE_CONTENT = "inappropriate_content"
    IMPERSONATION = "impersonation"
    OTHER = "other"


class Status(StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"


class Outcome(StrEnum):
    DISMISS = "dismiss"
    WARN = "warn"  # the user sees it at GET /users/{id}/warnings
    SUSPEND = "suspend"  # a block for `days`, lifted by itself when it runs out
    BLOCK = "block"  # as PATCH /users/status/{id} blocks: every token and login refused
    BLOCK_TRAINING = "block_training"  # a reported training only: trainings blocks it


class TargetType(StrEnum):
    USER = "user"
    TRAINING = "training"  # warn, suspend and block then act on its trainer


MAX_SUSPENSION_DAYS = 365

# Free text: bounded, and no NUL (no store takes one).
Text = Annotated[str, Field(max_length=2000, pattern=NO_NUL)]


class ReportCreate(BaseModel):
    """The reporter's body; who reports and whom come from the token and the path."""

    reason: Reason
    details: Text = ""


class Resolution(BaseModel):
    """An admin's decision; who resolves comes from the token. `suspend` requires `days`;
    another action ignores them (bodies are read tolerantly)."""

    # The schema states the rule the validator applies.
    model_config = ConfigDict(
        json_schema_extra={
            "if": {"properties": {"action": {"const": "suspend"}}, "required": ["action"]},
            "then": {
                "required": ["days"],
                "properties": {"days": {"type": "integer"}},
            },
        }
    )

    action: Outcome
    note: Text = ""
    days: Annotated[int | None, Field(ge=1, le=MAX_SUSPENSION_DAYS)] = None

    @model_validator(mode="after")
    def _days_with_suspend(self) -> "Resolution":
        if self.action is not Outcome.SUSPEND:
            self.days = None
        elif self.days is None:
            raise ValueError("days is required with suspend")
        return self


class Report(msgspec.Struct):
    id: int
    reporter_id: int
    target_type: TargetType
    target_id: int
    reason: Reason
    details: str
    status: Status
    created_at: datetime
    outcome: Outcome | None  # the rest only once resolved
    note: str | None
    resolved_by: int | None
    resolved_at: datetime | None


class Resolved(msgspec.Struct):
    report: Report  # the one resolved, as it now is
    closed: list[int]  # every report the resolution closed: the open ones on the same target


class ReportedUser(msgspec.Struct, tag_field="type", tag="user"):
    """The target as it is now, for the admin deciding."""

    id: int
    username: str
    is_blocked: bool
    suspended_until: datetime | None  # a suspension's end; None for a block without one


class ReportedTraining(msgspec.Struct, tag_field="type", tag="training"):
    """A reported training as trainings has it now."""

    id: int
    title: str
    trainer_id: int
    blocked: bool


class QueuedReport(msgspec.Struct):
    report: Report
    target: ReportedUser | ReportedTraining | None  # None once the account or training is gone
    open_reports: int  # on the same target, this one included if open


class ReportPage(msgspec.Struct):
    items: list[QueuedReport]
    total: int
    page: int
    size: int
    pages: int


class IssuedWarning(msgspec.Struct):
    id: int
    report_id: int
    reason: Reason
    note: str
    created_at: datetime

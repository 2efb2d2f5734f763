"""What a caller may send (read tolerantly, as the mobile app sends it) and a goal's shape."""

import re
from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, StringConstraints

from goals.numbers import NonNegativeQuantity, PositiveQuantity
from goals.params import NO_NUL

_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def _text(max_length: int) -> StringConstraints:
    return StringConstraints(
        strip_whitespace=True, min_length=1, max_length=max_length, pattern=NO_NUL
    )


Title = Annotated[str, _text(100)]
Description = Annotated[str, _text(500)]
MetricName = Annotated[str, _text(64)]


def _day(value: object) -> object:
    if isinstance(value, str) and _DAY.fullmatch(value.strip()):
        return date.fromisoformat(value.strip())  # a ValueError becomes a 400 that says why
    raise ValueError("must be a date written YYYY-MM-DD")


def _blank_is_none(value: object) -> object:
    return None if value is None or (isinstance(value, str) and not value.strip()) else value


def _day_or_unchanged(value: object) -> object:
    """The app always sends time_limit "" on edit: that means unchanged."""
    value = _blank_is_none(value)
    return None if value is None else _day(value)


def _progress_or_unchanged(value: object) -> object:
    """The app sends the number 0 (not the string "0") when the progress field is left empty:
    that means unchanged. A typed value arrives as a string, so "0" still sets progress to 0."""
    if type(value) in (int, float) and value == 0:
        return None
    return _blank_is_none(value)


Day = Annotated[date, BeforeValidator(_day)]


class GoalCreate(BaseModel):
    title: Title
    description: Description
    metric: MetricName
    objective: PositiveQuantity
    time_limit: Day
    # base64, with or without a data: prefix; null or "" for none.
    image: Annotated[str | None, BeforeValidator(_blank_is_none)] = None


class GoalUpdate(BaseModel):
    """The app echoes the whole card; id, user_id, metric, unit and image are ignored."""

    title: Title | None = None
    description: Description | None = None
    objective: PositiveQuantity | None = None
    time_limit: Annotated[date | None, BeforeValidator(_day_or_unchanged)] = None
    progress: Annotated[NonNegativeQuantity | None, BeforeValidator(_progress_or_unchanged)] = None


class Goal(BaseModel):
    id: int
    user_id: int
    title: str
    description: str
    metric: str
    unit: str
    objective: int | float
    progress: int | float
    time_limit: date
    image: str | None
    # True when the list left this goal's image out for its size budget (`image` is then
    # null): GET /goals/{user_id}?offset=<its index>&limit=1 carries it.
    image_omitted: bool = False
    completed: bool
    completed_at: datetime | None
    # The deadline day is over everywhere and the goal was not completed.
    expired: bool
    created_at: datetime
    updated_at: datetime

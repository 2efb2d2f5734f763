"""What a caller may send (read tolerantly, as the mobile app sends it) and a goal's shape.

The OpenAPI document states what these validators accept, field by field (`json_schema_extra`,
from the patterns of params.py and numbers.py); tests/test_openapi.py checks the two agree."""

import re
from datetime import date, datetime
from typing import Annotated, Any

import msgspec
from pydantic import BaseModel, BeforeValidator, Field, StringConstraints

from goals.catalogue.models import NAMES
from goals.numbers import NonNegativeQuantity, Number, PositiveQuantity, quantity_schema
from goals.params import BLANK_TEXT, DAY, NO_NUL, padded, trimmed_text

_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_NULL: dict[str, Any] = {"type": "null", "description": "Unchanged"}


def _strip(value: object) -> object:
    return value.strip() if isinstance(value, str) else value


def _text_schema(
    max_length: int, pattern: str | None = None, description: str = ""
) -> dict[str, Any]:
    """What the OpenAPI document says of a text field: its pattern states the tolerance."""
    return {
        "type": "string",
        "minLength": 1,
        "pattern": pattern or trimmed_text(max_length),
        "description": description
        or f"1 to {max_length} characters once the blanks around them are removed; no NUL",
    }


_TITLE, _DESCRIPTION = _text_schema(100), _text_schema(500)
_METRIC = _text_schema(
    64,
    pattern=padded("|".join(NAMES)),
    description="A metric of the catalogue (`GET /goals/metrics`); blanks around it are ignored",
)

# Text whose blanks around it are ignored: then 1 to N characters, no NUL.
Title = Annotated[
    str,
    StringConstraints(min_length=1, max_length=100, pattern=NO_NUL),
    BeforeValidator(_strip),
    Field(json_schema_extra={**_TITLE, "maxLength": None}),
]
Description = Annotated[
    str,
    StringConstraints(min_length=1, max_length=500, pattern=NO_NUL),
    BeforeValidator(_strip),
    Field(json_schema_extra={**_DESCRIPTION, "maxLength": None}),
]
MetricName = Annotated[
    str,
    StringConstraints(min_length=1, max_length=64, pattern=NO_NUL),
    BeforeValidator(_strip),
    Field(json_schema_extra={**_METRIC, "maxLength": None}),
]


def _or_unchanged(schema: dict[str, Any]) -> Any:
    """An edit's optional field: `schema`, or null (unchanged)."""
    return Field(json_schema_extra={"oneOf": [schema, _NULL]})


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


_DEADLINE = (
    "YYYY-MM-DD, blanks around it ignored. Not before today, the date anywhere on Earth"
    " (UTC-12): an earlier day is a 400"
)
_DAY_SCHEMA = {"type": "string", "pattern": padded(DAY), "examples": ["2026-12-01"]}
_BLANK = {"type": "string", "pattern": BLANK_TEXT, "description": "Blank: unchanged"}

Day = Annotated[
    date,
    BeforeValidator(_day),
    Field(json_schema_extra={"format": None, **_DAY_SCHEMA, "description": _DEADLINE}),
]


class GoalCreate(BaseModel):
    title: Title
    description: Description
    metric: MetricName
    objective: PositiveQuantity
    time_limit: Day
    image: Annotated[
        str | None,
        BeforeValidator(_blank_is_none),
        Field(
            description=(
                "A JPEG, PNG or WebP picture in base64, with or without a `data:image/…;base64,`"
                " prefix; null or blank for none. Larger than GOALS_MAX_IMAGE_BYTES decoded: 413;"
                " not a picture authentication's storage can decode: 400"
            )
        ),
    ] = None


class GoalUpdate(BaseModel):
    """The app echoes the whole card; id, user_id, metric, unit and image are ignored."""

    title: Annotated[Title | None, _or_unchanged(_TITLE)] = None
    description: Annotated[Description | None, _or_unchanged(_DESCRIPTION)] = None
    objective: Annotated[
        PositiveQuantity | None,
        Field(json_schema_extra=quantity_schema(positive=True, unchanged=(_NULL,))),
    ] = None
    time_limit: Annotated[
        date | None,
        BeforeValidator(_day_or_unchanged),
        Field(
            json_schema_extra={
                "oneOf": None,
                "anyOf": [_DAY_SCHEMA, _BLANK, _NULL],
                "description": f"{_DEADLINE} (unless it is the goal's current deadline)",
            }
        ),
    ] = None
    progress: Annotated[
        NonNegativeQuantity | None,
        BeforeValidator(_progress_or_unchanged),
        Field(
            json_schema_extra={
                **quantity_schema(positive=False, unchanged=(_BLANK, _NULL)),
                "description": (
                    "The new progress. The number 0 means unchanged (what the app sends when the"
                    ' field is left empty); the string "0" sets it to 0'
                ),
            }
        ),
    ] = None


class Goal(msgspec.Struct):
    """A goal as clients read it. A msgspec struct, not a pydantic model: built from trusted
    rows, it needs no validation, and Litestar encodes it natively (no model_dump per goal).
    Built positionally (`service.goal_of`), which costs a fraction of keyword arguments."""

    id: int
    user_id: int
    title: str
    description: str
    metric: str
    unit: str
    # Integers when whole (10, not 10.0), as the 2023 API answered.
    objective: Number
    progress: Number
    time_limit: date
    image: str | None
    # True when the list left this goal's image out for its size budget (`image` is then
    # null): GET /goals/{user_id}?offset=<its index>&limit=1 carries it.
    image_omitted: bool
    completed: bool
    completed_at: datetime | None
    # The deadline day is over everywhere and the goal was not completed.
    expired: bool
    created_at: datetime
    updated_at: datetime

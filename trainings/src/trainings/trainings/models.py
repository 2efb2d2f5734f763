"""Wire shapes. Bodies are read tolerantly (unknown fields ignored, numbers may be strings);
each role has its own input model (``TrainerTrainingUpdate``, ``AdminTrainingUpdate``), so nobody
sets a field their role may not change. Responses are bare nouns (``Training``), msgspec
structs. The types of
``trainings.inputs`` validate what the OpenAPI document says of each field."""

from typing import Annotated

import annotated_types
import msgspec
from pydantic import (
    BaseModel,
    BeforeValidator,
    Field,
    StringConstraints,
    field_validator,
)

from trainings import inputs

# Lengths once trimmed of white space: (least, most).
TITLE = (3, 40)
DESCRIPTION = (3, 500)
NAME = (1, 60)
Title = Annotated[str, *inputs.text(*TITLE)]
Description = Annotated[str, *inputs.text(*DESCRIPTION)]
# A catalogue name (type, difficulty, exercise); the document lists the catalogue's own.
Name = Annotated[str, *inputs.text(*NAME)]
# Decoded size is checked by authentication's storage (413); this only bounds the text.
Media = Annotated[
    str, BeforeValidator(inputs.strip_blanks), StringConstraints(max_length=16 * 1024 * 1024)
]
MEDIA_SCHEMA = {
    "type": "string",
    "contentEncoding": "base64",
    "description": (
        "An image (PNG, JPEG, …) as base64, a data: URL prefix allowed. Authentication's storage"
        " decodes and checks it: 400 when it is not an image, 413 when it is too large"
    ),
}
COUNT = (1, 100_000)
SERIES = (1, 1_000)
Count = Annotated[int, *inputs.integer(*COUNT)]
Series = Annotated[int, *inputs.integer(*SERIES)]
Exercises = Annotated[list["TrainingExerciseCreate"], annotated_types.MaxLen(50)]


class TrainingExerciseCreate(BaseModel):
    """One exercise of a training; found in the catalogue by name and unit (``type`` ignored)."""

    name: Name
    unit: str | None = None
    count: Count
    series: Series | None = inputs.optional(inputs.integer_schema(*SERIES))

    @field_validator("unit")
    @classmethod
    def _blank_unit_is_none(cls, unit: str | None) -> str | None:
        return inputs.strip_blanks(unit) or None if unit is not None else None


class TrainingCreate(BaseModel):
    """POST /trainings by a trainer. ``trainer_id`` is taken from the token, never the body."""

    title: Title
    description: Description
    type: Name
    difficulty: Name
    media: Media | None = inputs.optional(MEDIA_SCHEMA)
    exercises: Exercises = Field(default_factory=list)


class TrainerTrainingUpdate(BaseModel):
    """What the training's trainer may change. Missing or null means unchanged;
    ``media: ""`` removes the image."""

    title: Title | None = inputs.optional(inputs.text_schema(*TITLE))
    description: Description | None = inputs.optional(inputs.text_schema(*DESCRIPTION))
    type: Name | None = inputs.optional(inputs.text_schema(*NAME))
    difficulty: Name | None = inputs.optional(inputs.text_schema(*NAME))
    media: Media | None = inputs.optional(MEDIA_SCHEMA)
    exercises: Exercises | None = None


class AdminTrainingUpdate(BaseModel):
    """What an admin may change."""

    blocked: inputs.Boolean | None = None


class TrainingUpdate(TrainerTrainingUpdate):
    """PATCH /trainings/{id} as sent: the trainer's fields or the admin's ``blocked``; the
    caller's role decides which part applies. ``blocked`` is a JSON boolean (the back office
    sends one): ``0`` or ``"yes"`` are a 400."""

    blocked: inputs.Boolean | None = None

    def content(self) -> TrainerTrainingUpdate:
        values = {name: getattr(self, name) for name in TrainerTrainingUpdate.model_fields}
        return TrainerTrainingUpdate.model_construct(self.model_fields_set - {"blocked"}, **values)

    def moderation(self) -> AdminTrainingUpdate:
        return AdminTrainingUpdate(blocked=self.blocked)


# Responses are msgspec structs, not pydantic models: built from trusted rows, they need no
# validation, and Litestar encodes them natively (no model_dump per training).


class TrainingExercise(msgspec.Struct, kw_only=True):
    name: str
    type: str
    unit: str | None
    count: int
    series: int | None


class Training(msgspec.Struct, kw_only=True):
    id: int
    trainer_id: str  # a string on the wire, as the mobile app sends and reads it
    title: str
    description: str
    type: str
    difficulty: str
    media: str | None  # base64, no data: prefix
    # True when a page left this media out for its size budget (`media` is then null):
    # GET /trainings/{id} always carries it.
    media_omitted: bool = False
    exercises: list[TrainingExercise]
    rating: int  # mean of the current rates, rounded half up; 0 when nobody rated
    rating_count: int
    blocked: bool


class TrainingPage(msgspec.Struct, kw_only=True):
    items: list[Training]
    offset: int
    limit: int
    count: int  # all matches, regardless of offset and limit

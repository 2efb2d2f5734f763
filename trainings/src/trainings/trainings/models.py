"""Wire shapes. Bodies are read tolerantly (unknown fields ignored, numbers may be strings);
each role has its own input model (``TrainerTrainingUpdate``, ``AdminTrainingUpdate``), so nobody
sets a field their role may not change. Responses are bare nouns (``Training``)."""

from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints, field_validator

Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=40)]
Description = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=500)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)]
# Decoded size is checked by authentication's storage (413); this only bounds the text.
Media = Annotated[str, StringConstraints(strip_whitespace=True, max_length=16 * 1024 * 1024)]


class TrainingExerciseCreate(BaseModel):
    """One exercise of a training; found in the catalogue by name and unit (``type`` ignored)."""

    name: Name
    unit: str | None = None
    count: int = Field(ge=1, le=100_000)
    series: int | None = Field(default=None, ge=1, le=1_000)

    @field_validator("unit")
    @classmethod
    def _blank_unit_is_none(cls, unit: str | None) -> str | None:
        return unit.strip() or None if unit is not None else None


class TrainingCreate(BaseModel):
    """POST /trainings by a trainer. ``trainer_id`` is taken from the token, never the body."""

    title: Title
    description: Description
    type: Name
    difficulty: Name
    media: Media | None = None
    exercises: list[TrainingExerciseCreate] = Field(default_factory=list, max_length=50)


class TrainerTrainingUpdate(BaseModel):
    """What the training's trainer may change. Missing or null means unchanged;
    ``media: ""`` removes the image."""

    title: Title | None = None
    description: Description | None = None
    type: Name | None = None
    difficulty: Name | None = None
    media: Media | None = None
    exercises: list[TrainingExerciseCreate] | None = Field(default=None, max_length=50)


class AdminTrainingUpdate(BaseModel):
    """What an admin may change."""

    blocked: bool | None = None


class TrainingUpdate(TrainerTrainingUpdate):
    """PATCH /trainings/{id} as sent: the trainer's fields or the admin's ``blocked``; the
    caller's role decides which part applies."""

    blocked: bool | None = None

    def content(self) -> TrainerTrainingUpdate:
        values = {name: getattr(self, name) for name in TrainerTrainingUpdate.model_fields}
        return TrainerTrainingUpdate.model_construct(self.model_fields_set - {"blocked"}, **values)

    def moderation(self) -> AdminTrainingUpdate:
        return AdminTrainingUpdate(blocked=self.blocked)


class TrainingExercise(BaseModel):
    name: str
    type: str
    unit: str | None
    count: int
    series: int | None


class Training(BaseModel):
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


class TrainingPage(BaseModel):
    items: list[Training]
    offset: int
    limit: int
    count: int  # all matches, regardless of offset and limit

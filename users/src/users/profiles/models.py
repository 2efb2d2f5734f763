"""What clients send and read about a user. Inputs are separate per purpose: none of them has
`id`, `email` (PATCH), `is_blocked`, `is_athlete` (PATCH), `registration_date` or wallet fields,
so a body carrying them (the mobile app echoes whole objects) cannot set them."""

from datetime import date
from typing import Annotated, Any

import msgspec
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StringConstraints,
    WithJsonSchema,
)

from users.inputs import (
    LETTER,
    NO_NUL,
    PAD,
    iso_date,
    number_or_numeral,
    number_or_numeral_schema,
    past_date_pattern,
    strict_number,
    strip,
)

Username = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{4,20}$")]
# Letters (accents too), single spaces, apostrophes or hyphens between them.
PersonName = Annotated[
    str,
    StringConstraints(max_length=40, pattern=rf"^{PAD}{LETTER}+([ '-]{LETTER}+)*{PAD}$"),
    AfterValidator(strip),
]

# Metres from 0.5 to 2.5, as a number or a numeric string (the profile edit sends strings).
HEIGHT_NUMERAL = r"^(0\.[5-9][0-9]*|1(\.[0-9]+)?|2(\.[0-4][0-9]*)?|2\.50*)$"
Height = Annotated[
    float,
    BeforeValidator(number_or_numeral(HEIGHT_NUMERAL, "height")),
    Field(ge=0.5, le=2.5),
    WithJsonSchema(
        number_or_numeral_schema(
            {"type": "number", "minimum": 0.5, "maximum": 2.5}, HEIGHT_NUMERAL, "metres"
        )
    ),
]
# Whole kilograms from 20 to 400, as a number or a numeric string.
WEIGHT_NUMERAL = r"^([2-9][0-9]|[1-3][0-9]{2}|400)(\.0+)?$"
Weight = Annotated[
    int,
    BeforeValidator(number_or_numeral(WEIGHT_NUMERAL, "weight")),
    Field(ge=20, le=400),
    WithJsonSchema(
        number_or_numeral_schema(
            {"type": "integer", "minimum": 20, "maximum": 400}, WEIGHT_NUMERAL, "kilograms"
        )
    ),
]
Location = Annotated[str, StringConstraints(max_length=100, pattern=NO_NUL), AfterValidator(strip)]
# Base64 (no data: prefix) of a JPEG/PNG/WebP; authentication checks the content.
Image = Annotated[
    str,
    StringConstraints(min_length=1),
    WithJsonSchema(
        {
            "type": "string",
            "minLength": 1,
            "description": "base64 (no data: prefix) of a JPEG, PNG or WebP image; storage "
            "checks the content (400 otherwise)",
        }
    ),
]


def _in_the_past(value: date) -> date:
    if not date(1900, 1, 1) <= value < date.today():
        raise ValueError("birth_date must be a past date after 1900-01-01")
    return value


BirthDate = Annotated[
    date,
    BeforeValidator(iso_date),
    AfterValidator(_in_the_past),
    WithJsonSchema(
        {
            "type": "string",
            "format": "date",
            "pattern": past_date_pattern(date.today()),
            "description": "a past date from 1900-01-01 on, YYYY-MM-DD",
        }
    ),
]


def _lon_lat(value: tuple[float, float]) -> tuple[float, float]:
    lon, lat = value
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise ValueError("coordinates must be [longitude, latitude] within range")
    return value


Degrees = Annotated[float, BeforeValidator(strict_number)]
Coordinates = Annotated[
    tuple[Degrees, Degrees],
    AfterValidator(_lon_lat),
    WithJsonSchema(
        {
            "type": "array",
            "prefixItems": [
                {"type": "number", "minimum": -180, "maximum": 180},
                {"type": "number", "minimum": -90, "maximum": 90},
            ],
            "minItems": 2,
            "maxItems": 2,
            "description": "[longitude, latitude]",
        }
    ),
]


class ProfileFields(BaseModel):
    """Shared by both sign-ups. Other fields are ignored (the mobile app also sends
    `registration_date`)."""

    model_config = ConfigDict(json_schema_extra={"additionalProperties": True})

    username: Username
    name: PersonName
    surname: PersonName
    height: Height
    weight: Weight
    birth_date: BirthDate
    location: Location = ""
    is_athlete: StrictBool
    coordinates: Coordinates | None = None
    image: Image | None = None


class ProfileUpdate(BaseModel):
    """PATCH /users/{id}: every field optional; null means "leave it". Other fields are ignored
    (the mobile app echoes the whole profile: id, email, is_athlete, is_blocked,
    registration_date)."""

    model_config = ConfigDict(json_schema_extra={"additionalProperties": True})

    username: Username | None = None
    name: PersonName | None = None
    surname: PersonName | None = None
    height: Height | None = None
    weight: Weight | None = None
    birth_date: BirthDate | None = None
    location: Location | None = None
    coordinates: Coordinates | None = None
    image: Image | None = None

    def columns(self) -> dict[str, Any]:
        """The SQL columns to change."""
        return self.model_dump(exclude_none=True, exclude={"coordinates", "image"})


class User(msgspec.Struct):
    """The user object of every reply (the 2023 shape; never password, position or wallet).
    Replies are msgspec structs: Litestar encodes them natively, where a pydantic model is
    dumped to a dict first (several times the cost of a whole cheap read for a page of users)."""

    id: int
    email: str
    username: str
    name: str
    surname: str
    height: float
    weight: int
    birth_date: date
    location: str
    registration_date: date
    is_athlete: bool
    is_blocked: bool


class UserWithImage(User):
    """GET /users?username=: the only reply that carries the avatar (base64)."""

    image: str | None = None


class UserPage(msgspec.Struct):
    items: list[User]
    total: int
    page: int
    size: int
    pages: int


class Neighbourhood(BaseModel):
    location: str
    coordinates: tuple[float, float]

"""What clients send and read about a user. Inputs are separate per purpose: none of them has
`id`, `email` (PATCH), `is_blocked`, `is_athlete` (PATCH), `registration_date` or wallet fields,
so a body carrying them (the mobile app echoes whole objects) cannot set them."""

from datetime import date
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, Field, StringConstraints

Username = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{4,20}$")]
# Letters (accents too), single spaces, apostrophes or hyphens between them.
PersonName = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=40, pattern=r"^[^\W\d_]+([ '-][^\W\d_]+)*$"
    ),
]
Height = Annotated[float, Field(ge=0.5, le=2.5, description="metres")]
Weight = Annotated[int, Field(ge=20, le=400, description="kilograms")]
Location = Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)]
# Base64 (no data: prefix) of a JPEG/PNG/WebP; authentication checks the content.
Image = Annotated[str, StringConstraints(min_length=1)]


def _in_the_past(value: date) -> date:
    if not date(1900, 1, 1) <= value < date.today():
        raise ValueError("birth_date must be a past date after 1900-01-01")
    return value


BirthDate = Annotated[date, AfterValidator(_in_the_past)]


def _lon_lat(value: tuple[float, float]) -> tuple[float, float]:
    lon, lat = value
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise ValueError("coordinates must be [longitude, latitude] within range")
    return value


Coordinates = Annotated[tuple[float, float], AfterValidator(_lon_lat)]


class ProfileFields(BaseModel):
    """Shared by both sign-ups."""

    username: Username
    name: PersonName
    surname: PersonName
    height: Height
    weight: Weight
    birth_date: BirthDate
    location: Location = ""
    is_athlete: bool
    coordinates: Coordinates | None = None
    image: Image | None = None


class ProfileUpdate(BaseModel):
    """PATCH /users/{id}: every field optional; null means "leave it"."""

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


class User(BaseModel):
    """The user object of every reply (the 2023 shape; never password, position or wallet)."""

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


class UserPage(BaseModel):
    items: list[User]
    total: int
    page: int
    size: int
    pages: int


class Neighbourhood(BaseModel):
    location: str
    coordinates: tuple[float, float]

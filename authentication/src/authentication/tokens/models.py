"""Every request and response body of the token endpoints."""

from typing import Annotated, Literal, NotRequired

from litestar.openapi.spec import Schema
from litestar.openapi.spec.enums import OpenAPIType
from pydantic import BaseModel, BeforeValidator, Field

# pydantic validates a TypedDict from typing_extensions only, on Python < 3.12.
from typing_extensions import TypedDict


def _whole(value: object) -> object:
    """JSON Schema counts 1.0 as an integer, so the strict reading takes a whole float too."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


# Ids name rows of a Postgres bigint column. Litestar writes a bound as a float, and 2^63 - 1 as
# a float is 2^63; the contract states the exact integer.
ID_MAX = 2**63 - 1
UserId = Annotated[
    int,
    BeforeValidator(_whole),
    Field(
        ge=1,
        le=ID_MAX,
        description="The user's or admin's id",
        json_schema_extra={"maximum": ID_MAX},
    ),
]


class TokenCreate(BaseModel):
    role: Literal["user", "admin"]
    id: UserId
    # Users are athletes or trainers; admins are neither (service.check_request).
    is_athlete: bool | None = Field(
        default=None, description="Users only: true for an athlete, false for a trainer"
    )


# What check_request enforces, as the contract states it: a user's request carries is_athlete,
# an admin's does not (absent or null).
TOKEN_CREATE_VARIANTS = [
    Schema(
        description="A user's token: is_athlete is required",
        properties={
            "role": Schema(const="user"),
            "is_athlete": Schema(type=OpenAPIType.BOOLEAN),
        },
        required=["is_athlete"],
    ),
    Schema(
        description="An admin's token: no is_athlete",
        properties={"role": Schema(const="admin"), "is_athlete": Schema(type=OpenAPIType.NULL)},
    ),
]


class Token(BaseModel):
    data: str = Field(description="The signed JWT")


class Claims(TypedDict):
    role: Literal["user", "admin"]
    id: int
    is_athlete: NotRequired[bool]
    iat: int
    exp: int
    iss: str


class Credentials(BaseModel):
    data: Claims


class Jwk(TypedDict):
    """A public key: EC (`crv`, `x`, `y`) for ES256, RSA (`n`, `e`) for RS256."""

    kty: Literal["EC", "RSA"]
    kid: str
    use: Literal["sig"]
    alg: Literal["ES256", "RS256"]
    crv: NotRequired[str]
    x: NotRequired[str]
    y: NotRequired[str]
    n: NotRequired[str]
    e: NotRequired[str]


class Jwks(TypedDict):
    keys: list[Jwk]

"""Every request and response body of the token endpoints."""

from typing import Any, Literal

from pydantic import BaseModel, Field


class TokenCreate(BaseModel):
    role: Literal["user", "admin"]
    id: int = Field(ge=1)
    # Users are athletes or trainers; admins are neither.
    is_athlete: bool | None = None


class Token(BaseModel):
    data: str


class Credentials(BaseModel):
    data: dict[str, Any]

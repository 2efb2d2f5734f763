"""Responses of the catalogue routes."""

from pydantic import BaseModel


class Names(BaseModel):
    items: list[str]


class Exercise(BaseModel):
    name: str
    type: str
    unit: str | None


class Exercises(BaseModel):
    items: list[Exercise]

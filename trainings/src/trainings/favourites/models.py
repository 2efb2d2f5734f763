"""Bodies of the favourites and ratings routes (numbers may arrive as numeric strings)."""

from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, Field


def _not_a_bool(value: Any) -> Any:
    if isinstance(value, bool):  # pydantic would read true as 1
        raise ValueError("must be an integer, not a boolean")
    return value


Integer = Annotated[int, BeforeValidator(_not_a_bool)]


class FavouriteCreate(BaseModel):
    training_id: Integer = Field(ge=1, le=2**63 - 1)


class RatingUpdate(BaseModel):
    # 1-5 stars; 0 clears the rating (the app sends 0 when the current star is tapped again).
    rate: Integer = Field(ge=0, le=5)


class Rating(BaseModel):
    rate: int

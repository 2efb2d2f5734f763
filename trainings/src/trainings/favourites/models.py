"""Bodies of the favourites and ratings routes (numbers may arrive as numeric strings)."""

from typing import Annotated

from pydantic import BaseModel

from trainings import inputs

BIGINT_MAX = 2**63 - 1


class FavouriteCreate(BaseModel):
    training_id: Annotated[int, *inputs.integer(1, BIGINT_MAX)]


class RatingUpdate(BaseModel):
    # 1-5 stars; 0 clears the rating (the app sends 0 when the current star is tapped again).
    rate: Annotated[int, *inputs.integer(0, 5)]


class Rating(BaseModel):
    rate: int

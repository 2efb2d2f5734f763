"""Bodies of the favourites and ratings routes."""

from pydantic import BaseModel, Field


class FavouriteIn(BaseModel):
    training_id: int = Field(ge=1)


class RateIn(BaseModel):
    # 1-5 stars; 0 clears the rating (the app sends 0 when the current star is tapped again).
    rate: int = Field(ge=0, le=5)


class RateOut(BaseModel):
    rate: int

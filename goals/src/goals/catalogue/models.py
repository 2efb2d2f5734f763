"""What the catalogue routes answer."""

from pydantic import BaseModel


class Metric(BaseModel):
    name: str
    unit: str

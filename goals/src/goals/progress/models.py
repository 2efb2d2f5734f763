"""What the progress routes answer."""

from pydantic import BaseModel


class Progress(BaseModel):
    progress: int | float

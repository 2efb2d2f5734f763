"""What the progress routes answer."""

from typing import Annotated

from pydantic import BaseModel, Field


class Progress(BaseModel):
    # Integers when whole, as the 2023 API answered.
    progress: Annotated[int | float, Field(json_schema_extra={"oneOf": None, "type": "number"})]

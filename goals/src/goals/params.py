"""Path parameters and text as Postgres can store them: ids fit a bigint, text has no NUL."""

from typing import Annotated

from litestar.params import PathParameter

MAX_ID = 2**63 - 1
NO_NUL = r"^[^\x00]*$"

UserId = Annotated[int, PathParameter(ge=0, le=MAX_ID)]
GoalId = Annotated[int, PathParameter(ge=0, le=MAX_ID)]
MetricPath = Annotated[str, PathParameter(min_length=1, max_length=64, pattern=NO_NUL)]

"""The `{items, total, page, size, pages}` envelope of 2023 and its offset/limit parameters."""

import math
from typing import Annotated, overload

from litestar.params import PathParameter, QueryParameter

MAX_LIMIT = 100

Offset = Annotated[int, QueryParameter(ge=0, le=10_000_000, description="items to skip")]
# Larger limits are cut down to MAX_LIMIT rather than refused (the back office may ask for more).
Limit = Annotated[
    int, QueryParameter(ge=1, le=1_000_000, description=f"page size, at most {MAX_LIMIT}")
]
# The lists the 2023 clients read whole (followers, followed): a page only when asked for.
OptionalLimit = Annotated[
    int | None,
    QueryParameter(
        ge=1, le=1_000_000, description=f"page size, at most {MAX_LIMIT}; without it, every item"
    ),
]


# Ids in paths: bigint range, so a huge number is a 400 rather than a database error. The
# bounds are also written as integers: Litestar would publish 2**63 - 1 as a float, 2**63.
ID_MAX = 2**63 - 1
UserId = Annotated[
    int, PathParameter(ge=1, le=ID_MAX, schema_extra={"minimum": 1, "maximum": ID_MAX})
]


@overload
def clamp(limit: int) -> int: ...
@overload
def clamp(limit: None) -> None: ...
def clamp(limit: int | None) -> int | None:
    return None if limit is None else min(limit, MAX_LIMIT)


def envelope(size: int, total: int, offset: int, limit: int) -> dict[str, int]:
    return {
        "total": total,
        "page": 1 + math.ceil(offset / limit),
        "size": size,
        "pages": math.ceil(total / limit),
    }

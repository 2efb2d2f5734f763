"""The progress made on a metric over the last N days (the arithmetic is in progress/window.py)."""

from datetime import datetime

import asyncpg
from litestar.exceptions import NotFoundException

from goals.numbers import as_number
from goals.progress import repository
from goals.progress.models import Progress
from goals.progress.window import window


async def metric_progress(
    pool: asyncpg.Pool, user_id: int, metric: str, now: datetime, days: int
) -> Progress:
    since, until = window(now, days)
    async with pool.acquire() as conn:
        total = await repository.progress_in_window(conn, user_id, metric, since, until)
    if total is None:
        raise NotFoundException("No data found on that specific metric")
    return Progress(progress=as_number(total))

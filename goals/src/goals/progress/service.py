"""The progress made on a metric over the last N days (the arithmetic is in progress/window.py)."""

from litestar.exceptions import NotFoundException

from goals.numbers import as_number
from goals.progress import repository
from goals.progress.models import Progress
from goals.progress.window import window
from goals.services import Services


async def metric_progress(services: Services, user_id: int, metric: str, days: int) -> Progress:
    since, until = window(services.clock(), days)
    async with services.pool.acquire() as conn:
        total = await repository.progress_in_window(conn, user_id, metric, since, until)
    if total is None:
        raise NotFoundException("No data found on that specific metric")
    return Progress(progress=as_number(total))

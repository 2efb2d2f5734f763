"""The task that completes pending deletions (service.work is its round)."""

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)


class DeletionWorker:
    """Woken by each new deletion, and otherwise when the next retry is due, at most `idle`
    seconds apart (which also picks up the expired claims of a replica that died)."""

    def __init__(self, idle: float) -> None:
        self._idle = idle
        self._wake = asyncio.Event()

    def notify(self) -> None:
        self._wake.set()

    async def run(self, round_: Callable[[], Awaitable[float | None]]) -> None:
        while True:
            self._wake.clear()
            wait = self._idle
            try:
                due_in = await round_()
                if due_in is not None:
                    wait = min(wait, due_in)
            except Exception as error:  # its database is down: try again later
                log.warning("deletion worker: %s", error)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=max(wait, 0.05))

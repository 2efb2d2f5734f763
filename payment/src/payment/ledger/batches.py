"""Group commit for work that is serialised anyway: whoever arrives while a batch runs waits,
and the next one to get the turn runs everything that waited, in one call."""

import asyncio
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class Batches(Generic[T, R]):
    """``submit(item)`` answers ``run(items)``'s result for that item. At most one ``run`` is
    under way at a time (in this process); the items submitted meanwhile, up to ``limit``,
    make the next call. No task of its own: the first waiter to get the turn runs the batch,
    so nothing outlives the requests that asked for it."""

    def __init__(self, run: Callable[[list[T]], Awaitable[list[R]]], limit: int) -> None:
        self._run = run
        self._limit = limit
        self._waiting: list[tuple[T, asyncio.Future[R]]] = []
        self._turn = asyncio.Lock()

    async def submit(self, item: T) -> R:
        own: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._waiting.append((item, own))
        async with self._turn:
            if not own.done():  # a batch before this turn did not take the item: run one
                batch, self._waiting = self._waiting[: self._limit], self._waiting[self._limit :]
                try:
                    results = await self._run([queued for queued, _ in batch])
                except Exception as error:
                    for _, future in batch:
                        if future is not own:
                            future.set_exception(error)
                    raise
                except BaseException:
                    # This waiter was cancelled, the others were not: they wait for a turn.
                    others = [(queued, future) for queued, future in batch if future is not own]
                    self._waiting = others + self._waiting
                    raise
                for (_, future), result in zip(batch, results, strict=True):
                    future.set_result(result)
        return own.result()

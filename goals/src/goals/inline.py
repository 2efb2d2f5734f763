"""A per-response budget for inlined images: a response never holds more base64 than a setting.

Declared glue (ARCHITECTURE.md): identical in trainings and goals; overlays/check_glue.py checks.
Images travel inline (the 2023 clients read `media` and `image` from the lists themselves), so a
list costs the sum of its images in memory, several times over while it is serialised. A
response inlines images in order while their running total stays within the budget and their
count within a cap; the first is always inlined (one image is bounded by the upload limit), so a
single training (`GET /trainings/{id}`) or a one-row page of goals always carries its image.
Rows beyond the budget come back with a null image and `media_omitted`/`image_omitted` true.
The sizes it plans with come from the storage client (storage.py, `Storage.known_size`).
"""

import asyncio
from collections.abc import Awaitable, Callable, Sequence


async def inline_within_budget(
    names: Sequence[str | None],
    fetch: Callable[[str], Awaitable[str | None]],
    known_size: Callable[[str], int | None],
    *,
    budget: int,
    max_items: int,
    concurrency: int,
) -> tuple[list[str | None], list[bool]]:
    """The image of each name (None for no name or a missing object), and whether it was left
    out for the budget. Names are fetched in order; once one does not fit, no later one is."""
    images: list[str | None] = [None] * len(names)
    omitted = [False] * len(names)
    wanted = [i for i, name in enumerate(names) if name]
    spent = 0
    inlined = 0
    position = 0
    while position < len(wanted):
        batch: list[int] = []
        planned = spent
        for index in wanted[position : position + concurrency]:
            if inlined + len(batch) >= max_items:
                break
            size = known_size(names[index] or "")
            if inlined == 0 and not batch:
                batch.append(index)  # the first always goes in
                planned += size or 0
                continue
            if size is None:
                # Unknown: fetched alone, once nothing else is in flight, and kept if it fits.
                if not batch:
                    batch.append(index)
                break
            if planned + size > budget:
                break
            planned += size
            batch.append(index)
        if not batch:
            break
        found = await asyncio.gather(*(fetch(names[index] or "") for index in batch))
        stop = False
        for index, image in zip(batch, found, strict=True):
            size = len(image) if image else 0
            if stop or (inlined > 0 and spent + size > budget):
                stop = True  # this one and the rest are left out
                omitted[index] = image is not None
                continue
            images[index] = image
            spent += size
            inlined += 1 if image else 0
        position += len(batch)
        if stop:
            break
    for index in wanted[position:]:
        omitted[index] = True
    return images, omitted

"""Storing, reading and deleting images by object name (checked by the route)."""

import base64

import anyio.to_thread

from authentication.images.models import Image, ImageData
from authentication.images.normalize import normalize_image
from authentication.images.validation import decode_image
from authentication.services import Services


async def upload(services: Services, name: str, encoded: str) -> Image:
    """Decode, normalise (re-encoded, metadata stripped, long side bounded) and store."""
    settings = services.settings
    content, content_type = decode_image(encoded, settings.max_image_bytes)
    # Decoding pixels is CPU work: off the event loop, a bounded number at a time.
    content, content_type = await anyio.to_thread.run_sync(
        normalize_image,
        content,
        content_type,
        settings.max_image_side,
        settings.max_image_pixels,
        limiter=services.image_decoders,
    )
    await services.images.put(name, content, content_type)
    return Image(name=name, content_type=content_type, size=len(content))


async def download(services: Services, name: str) -> ImageData:
    return ImageData(image=base64.b64encode(await services.images.get(name)).decode())


async def remove(services: Services, name: str) -> None:
    await services.images.delete(name)

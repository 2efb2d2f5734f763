"""Storing, reading and deleting images by object name (checked by the route)."""

import base64

import anyio
import anyio.to_thread

from authentication.images.models import Image, ImageData
from authentication.images.normalize import normalize_image
from authentication.images.storage import ImageStore
from authentication.images.validation import decode_image
from authentication.settings import Settings


async def upload(
    images: ImageStore,
    name: str,
    encoded: str,
    settings: Settings,
    decoders: anyio.CapacityLimiter,
) -> Image:
    """Decode, normalise (re-encoded, metadata stripped, long side bounded) and store."""
    content, content_type = decode_image(encoded, settings.max_image_bytes)
    # Decoding pixels is CPU work: off the event loop, ``decoders`` at a time.
    content, content_type = await anyio.to_thread.run_sync(
        normalize_image,
        content,
        content_type,
        settings.max_image_side,
        settings.max_image_pixels,
        limiter=decoders,
    )
    await images.put(name, content, content_type)
    return Image(name=name, content_type=content_type, size=len(content))


async def download(images: ImageStore, name: str) -> ImageData:
    return ImageData(image=base64.b64encode(await images.get(name)).decode())


async def remove(images: ImageStore, name: str) -> None:
    await images.delete(name)

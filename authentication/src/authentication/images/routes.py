"""Images stored by object name: users/<id>/avatar, trainings/<id>/media, goals/<id>/image."""

import base64
from typing import Any

import anyio.to_thread
from litestar import Controller, Request, delete, get, put
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from pydantic import BaseModel

from authentication.images.normalize import normalize_image
from authentication.images.storage import ImageStore
from authentication.images.validation import check_object_name, decode_image
from authentication.security import require_service_token


class ImageUpload(BaseModel):
    image: str


class StoredImage(BaseModel):
    name: str
    content_type: str
    size: int


class ImageData(BaseModel):
    image: str


class ImageController(Controller):
    path = "/auth/storage"
    tags = ["images"]
    guards = [require_service_token]

    @put("/{name:path}")
    async def upload(
        self,
        name: FromPath[str],
        data: JSONBody[ImageUpload],
        images: NamedDependency[ImageStore],
        request: Request[Any, Any, Any],
    ) -> StoredImage:
        settings = request.app.state.settings
        name = check_object_name(name.strip("/"))
        content, content_type = decode_image(data.image, settings.max_image_bytes)
        # Decoding pixels is CPU work: off the event loop.
        content, content_type = await anyio.to_thread.run_sync(
            normalize_image,
            content,
            content_type,
            settings.max_image_side,
            settings.max_image_pixels,
            limiter=request.app.state.image_decoders,
        )
        await images.put(name, content, content_type)
        return StoredImage(name=name, content_type=content_type, size=len(content))

    @get("/{name:path}")
    async def download(self, name: FromPath[str], images: NamedDependency[ImageStore]) -> ImageData:
        content = await images.get(check_object_name(name.strip("/")))
        return ImageData(image=base64.b64encode(content).decode())

    @delete("/{name:path}", status_code=204)
    async def remove(self, name: FromPath[str], images: NamedDependency[ImageStore]) -> None:
        await images.delete(check_object_name(name.strip("/")))

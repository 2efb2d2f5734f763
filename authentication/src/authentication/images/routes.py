"""Images stored by object name: users/<id>/avatar, trainings/<id>/media, goals/<id>/image."""

from typing import Any

from litestar import Controller, Request, delete, get, put
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody

from authentication.images import service
from authentication.images.models import Image, ImageCreate, ImageData
from authentication.images.storage import ImageStore
from authentication.images.validation import check_object_name
from authentication.security import require_service_token


class ImageController(Controller):
    path = "/auth/storage"
    tags = ["images"]
    guards = [require_service_token]

    @put("/{name:path}")
    async def upload(
        self,
        name: FromPath[str],
        data: JSONBody[ImageCreate],
        images: NamedDependency[ImageStore],
        request: Request[Any, Any, Any],
    ) -> Image:
        state = request.app.state
        name = check_object_name(name.strip("/"))
        return await service.upload(images, name, data.image, state.settings, state.image_decoders)

    @get("/{name:path}")
    async def download(self, name: FromPath[str], images: NamedDependency[ImageStore]) -> ImageData:
        return await service.download(images, check_object_name(name.strip("/")))

    @delete("/{name:path}", status_code=204)
    async def remove(self, name: FromPath[str], images: NamedDependency[ImageStore]) -> None:
        await service.remove(images, check_object_name(name.strip("/")))

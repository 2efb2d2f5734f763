"""Images stored by object name: users/<id>/avatar, trainings/<id>/media, goals/<id>/image."""

from litestar import Controller, delete, get, put
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody

from authentication.images import service
from authentication.images.models import Image, ImageCreate, ImageData
from authentication.images.validation import check_object_name
from authentication.security import require_service_token
from authentication.services import Services


class ImageController(Controller):
    path = "/auth/storage"
    tags = ["images"]
    guards = [require_service_token]

    @put("/{name:path}")
    async def upload(
        self, name: FromPath[str], data: JSONBody[ImageCreate], services: NamedDependency[Services]
    ) -> Image:
        return await service.upload(services, check_object_name(name.strip("/")), data.image)

    @get("/{name:path}")
    async def download(self, name: FromPath[str], services: NamedDependency[Services]) -> ImageData:
        return await service.download(services, check_object_name(name.strip("/")))

    @delete("/{name:path}", status_code=204)
    async def remove(self, name: FromPath[str], services: NamedDependency[Services]) -> None:
        await service.remove(services, check_object_name(name.strip("/")))

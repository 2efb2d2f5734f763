"""Images stored by object name: users/<id>/avatar, trainings/<id>/media, goals/<id>/image."""

from typing import Annotated

from litestar import Controller, delete, get, put
from litestar.openapi.spec import Example, Link
from litestar.params import JSONBody, PathParameter

from authentication.images import service
from authentication.images.models import Image, ImageCreate, ImageData
from authentication.images.validation import NAME_IN_PATH, check_object_name
from authentication.security import ApiRequest, require_service_token

# check_object_name enforces the pattern (400 "Invalid object name"); the contract states it.
Name = Annotated[
    str,
    PathParameter(
        description="Up to four segments of letters, digits, `_` and `-`, separated by `/`",
        schema_extra={"pattern": NAME_IN_PATH},
        examples=[Example(value="users/1/avatar")],
    ),
]


# OpenAPI links (the app factory adds them): what was stored can be read and deleted, and once
# deleted it is gone (404).
_SAME = {"name": "$request.path.name"}
LINKS = {
    ("/auth/storage/{name}", "put", 200): {
        "Download": Link(operation_id="AuthStorageNameDownload", parameters=_SAME),
        "Remove": Link(operation_id="AuthStorageNameRemove", parameters=_SAME),
    },
    ("/auth/storage/{name}", "delete", 204): {
        "Download": Link(operation_id="AuthStorageNameDownload", parameters=_SAME),
    },
}


class ImageController(Controller):
    path = "/auth/storage"
    tags = ["images"]
    guards = [require_service_token]

    @put("/{name:path}")
    async def upload(self, name: Name, data: JSONBody[ImageCreate], request: ApiRequest) -> Image:
        return await service.upload(
            request.services, check_object_name(name.strip("/")), data.image
        )

    @get("/{name:path}")
    async def download(self, name: Name, request: ApiRequest) -> ImageData:
        return await service.download(request.services, check_object_name(name.strip("/")))

    @delete("/{name:path}", status_code=204)
    async def remove(self, name: Name, request: ApiRequest) -> None:
        await service.remove(request.services, check_object_name(name.strip("/")))

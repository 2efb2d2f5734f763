import base64
import uuid
from collections.abc import AsyncIterator

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.conftest import JPEG, PNG, WEBP, client_with_env

Client = AsyncTestClient[Litestar]


def object_name(kind: str = "users") -> str:
    return f"{kind}/{uuid.uuid4().int % 10**9}/avatar"


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


@pytest.mark.parametrize(
    ("image", "content_type"), [(PNG, "image/png"), (JPEG, "image/jpeg"), (WEBP, "image/webp")]
)
async def test_upload_download_delete_round_trip(
    client: Client, image: bytes, content_type: str
) -> None:
    name = object_name()
    stored = await client.put(f"/auth/storage/{name}", json={"image": b64(image)})
    assert stored.status_code == 200, stored.text
    assert stored.json() == {"name": name, "content_type": content_type, "size": len(image)}

    fetched = await client.get(f"/auth/storage/{name}")
    assert fetched.status_code == 200
    assert base64.b64decode(fetched.json()["image"]) == image

    assert (await client.delete(f"/auth/storage/{name}")).status_code == 204
    assert (await client.get(f"/auth/storage/{name}")).status_code == 404
    assert (await client.delete(f"/auth/storage/{name}")).status_code == 204  # idempotent


async def test_upload_replaces_and_accepts_a_data_url_prefix(client: Client) -> None:
    name = object_name("goals")
    await client.put(f"/auth/storage/{name}", json={"image": b64(PNG)})
    replaced = await client.put(
        f"/auth/storage/{name}", json={"image": "data:image/jpeg;base64," + b64(JPEG)}
    )
    assert replaced.status_code == 200
    fetched = await client.get(f"/auth/storage/{name}")
    assert base64.b64decode(fetched.json()["image"]) == JPEG
    await client.delete(f"/auth/storage/{name}")


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"image": b64(b"just some text, not a picture")}, 400),
        ({"image": b64(b"GIF89a" + b"\x00" * 20)}, 400),
        ({"image": "%%% not base64 %%%"}, 400),
        ({"image": ""}, 400),
        ({"image": 12}, 400),
        ({}, 400),
        ({"image": b64(PNG + b"\x00" * 70 * 1024)}, 413),  # the test limit is 64 KiB
    ],
)
async def test_bad_images_are_rejected(
    client: Client, body: dict[str, object], status: int
) -> None:
    name = object_name()
    response = await client.put(f"/auth/storage/{name}", json=body)
    assert response.status_code == status, response.text
    assert response.json()["detail"]
    assert (await client.get(f"/auth/storage/{name}")).status_code == 404  # nothing stored


@pytest.mark.parametrize("name", ["a/b..c", "a b", "x/" * 6 + "y", "a/b.png", "-" * 65])
async def test_bad_object_names_are_400(client: Client, name: str) -> None:
    response = await client.put(f"/auth/storage/{name}", json={"image": b64(PNG)})
    assert response.status_code in (400, 404)
    assert response.json()["detail"]


async def test_images_need_the_service_credential(anonymous: Client) -> None:
    name = object_name()
    assert (
        await anonymous.put(f"/auth/storage/{name}", json={"image": b64(PNG)})
    ).status_code == 401
    assert (await anonymous.get(f"/auth/storage/{name}")).status_code == 401


@pytest.fixture
async def storage_down(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Client]:
    async with client_with_env(
        monkeypatch, "STORAGE_EMULATOR_HOST", "http://127.0.0.1:9"
    ) as client:
        yield client


async def test_storage_outage_is_503(storage_down: Client) -> None:
    name = object_name()
    upload = await storage_down.put(f"/auth/storage/{name}", json={"image": b64(PNG)})
    assert upload.status_code == 503, upload.text
    assert (await storage_down.get(f"/auth/storage/{name}")).status_code == 503
    readiness = await storage_down.get("/auth/readiness/")
    assert readiness.status_code == 503
    assert readiness.json()["checks"]["storage"] != "ok"

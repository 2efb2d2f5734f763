import base64
import io
import struct
import uuid
import zlib
from collections.abc import AsyncIterator

import pytest
from PIL import Image

from tests.helpers import JPEG, PNG, WEBP, Client, client_with_env, encode


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
    fetched = await client.get(f"/auth/storage/{name}")
    assert fetched.status_code == 200
    content = base64.b64decode(fetched.json()["image"])
    assert stored.json() == {"name": name, "content_type": content_type, "size": len(content)}
    if content_type == "image/jpeg":  # always re-encoded: the same picture, not the same bytes
        assert Image.open(io.BytesIO(content)).size == Image.open(io.BytesIO(image)).size
    else:  # a PNG or WebP that holds nothing but its pixels is kept byte for byte
        assert content == image

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
    assert Image.open(io.BytesIO(base64.b64decode(fetched.json()["image"]))).format == "JPEG"
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
    assert readiness.status_code == 200, readiness.text  # a storage outage is no reason to leave
    assert readiness.json()["degraded"] is True
    assert readiness.json()["checks"]["storage"] == "unavailable"  # a state, not an error's text


# A home's coordinates, as a phone writes them into a photo (EXIF GPS IFD).
GPS_IFD = 0x8825
HOME = {1: "S", 2: (34.0, 36.0, 13.0), 3: "W", 4: (58.0, 22.0, 54.0)}


def with_gps(image: Image.Image, image_format: str) -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to display
    exif.get_ifd(GPS_IFD).update(HOME)
    data = encode(image, image_format, exif=exif)
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(GPS_IFD), "the fixture carries GPS"
    return data


def png_bomb(width: int, height: int, rows: int) -> bytes:
    """A PNG of a few KiB whose header announces width x height pixels (one grey byte each);
    its first `rows` rows are really there, the refusal must come from the header alone."""

    def chunk(kind: bytes, payload: bytes) -> bytes:
        crc = zlib.crc32(kind + payload) & 0xFFFFFFFF
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", crc)

    compressor = zlib.compressobj(9)
    row = b"\x00" * (width + 1)  # filter byte + one grey byte per pixel
    pixels = b"".join(compressor.compress(row) for _ in range(rows)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


async def stored(client: Client, body: dict[str, object]) -> bytes:
    name = object_name()
    response = await client.put(f"/auth/storage/{name}", json=body)
    assert response.status_code == 200, response.text
    fetched = await client.get(f"/auth/storage/{name}")
    await client.delete(f"/auth/storage/{name}")
    content = base64.b64decode(fetched.json()["image"])
    assert response.json()["size"] == len(content)
    return content


@pytest.mark.parametrize(
    ("image_format", "mode"), [("JPEG", "RGB"), ("PNG", "RGBA"), ("WEBP", "RGB")]
)
async def test_exif_and_its_gps_tags_never_reach_storage(
    client: Client, image_format: str, mode: str
) -> None:
    """Before, an avatar's EXIF (GPS: where its owner lives) came back intact."""
    original = with_gps(Image.new(mode, (40, 20), (10, 120, 200)), image_format)
    content = await stored(client, {"image": b64(original)})
    image = Image.open(io.BytesIO(content))
    assert image.format == image_format  # the same kind of picture
    assert not image.getexif().get_ifd(GPS_IFD)
    assert dict(image.getexif()) == {}
    assert "exif" not in image.info and "xmp" not in image.info
    assert b"PhoneMaker" not in content and b"Exif\x00\x00" not in content
    # Displayed as the EXIF orientation said: turned upright instead of losing the rotation.
    assert image.size == (20, 40)


async def test_oversized_dimensions_are_scaled_down_to_the_long_side_limit(
    client: Client,
) -> None:
    """The test app keeps the default AUTH_MAX_IMAGE_SIDE of 2048 px."""
    wide = encode(Image.new("RGB", (3000, 1000), (90, 90, 90)), "PNG")
    assert len(wide) < 64 * 1024  # within the test upload limit: only the pixels are too many
    image = Image.open(io.BytesIO(await stored(client, {"image": b64(wide)})))
    assert image.size == (2048, 683)
    tall = encode(Image.new("RGB", (500, 2600), (90, 90, 90)), "JPEG")
    assert Image.open(io.BytesIO(await stored(client, {"image": b64(tall)}))).size == (394, 2048)


@pytest.mark.parametrize(
    ("width", "height", "rows"), [(50_000, 50_000, 100), (10_000, 6_000, 6_000)]
)
async def test_a_decompression_bomb_is_413_and_nothing_is_stored(
    client: Client, width: int, height: int, rows: int
) -> None:
    """A few KiB of PNG that would decode to gigabytes (Pillow's own limit) or to more pixels
    than AUTH_MAX_IMAGE_PIXELS: refused from the header, never decoded."""
    bomb = png_bomb(width, height, rows)
    assert len(bomb) < 64 * 1024
    name = object_name()
    response = await client.put(f"/auth/storage/{name}", json={"image": b64(bomb)})
    assert response.status_code == 413, response.text
    assert "too large" in response.json()["detail"] or "pixels" in response.json()["detail"]
    assert (await client.get(f"/auth/storage/{name}")).status_code == 404


@pytest.mark.parametrize(
    "data",
    [
        b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9",
        PNG[:40],  # truncated
        b"RIFF\x1a\x00\x00\x00WEBPVP8L" + b"\x00" * 20,
    ],
)
async def test_a_file_that_only_looks_like_an_image_is_400(client: Client, data: bytes) -> None:
    name = object_name()
    response = await client.put(f"/auth/storage/{name}", json={"image": b64(data)})
    assert response.status_code == 400, response.text
    assert "image" in response.json()["detail"]
    assert (await client.get(f"/auth/storage/{name}")).status_code == 404


async def test_anything_after_the_end_of_a_png_is_dropped(client: Client) -> None:
    content = await stored(client, {"image": b64(PNG + b"<script>alert(1)</script>")})
    assert b"<script>" not in content
    assert Image.open(io.BytesIO(content)).size == (1, 1)

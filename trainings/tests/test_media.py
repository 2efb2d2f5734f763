import asyncio
import base64
from collections.abc import AsyncIterator

import asyncpg
import httpx
import pytest
from litestar.exceptions import HTTPException
from litestar.testing import AsyncTestClient
from prometheus_client import REGISTRY

from tests.helpers import (
    AUTH_URL,
    JPEG,
    PNG,
    SERVICE_TOKEN,
    Client,
    Create,
    delete_stored,
    make_settings,
    noise_png,
    trainer,
    training_body,
)
from trainings.app import create_app
from trainings.errors import ServiceUnavailable
from trainings.storage import Storage
from trainings.trainings.service import MEDIA_WORDING


@pytest.fixture
async def storage() -> AsyncIterator[httpx.AsyncClient]:
    """authentication's storage, as the service sees it."""
    async with httpx.AsyncClient(
        base_url=f"{AUTH_URL}/auth/storage", headers={"X-Service-Token": SERVICE_TOKEN}
    ) as http:
        yield http


async def media_column(db: asyncpg.Connection, training_id: int) -> str | None:
    name: str | None = await db.fetchval("SELECT media FROM trainings WHERE id = $1", training_id)
    return name


async def stored_name(db: asyncpg.Connection, training_id: int) -> str:
    name = await media_column(db, training_id)
    assert name is not None
    return name


async def test_media_round_trip_inline_base64(
    client: Client, create: Create, storage: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    training = await create(media=PNG)
    assert training["media"] == PNG
    assert (await client.get(f"/trainings/{training['id']}")).json()["media"] == PNG
    assert (await client.get("/trainings")).json()["items"][0]["media"] == PNG
    name = await stored_name(db, training["id"])
    assert name.startswith(f"trainings/{training['id']}/media-")
    assert (await storage.get(f"/{name}")).json() == {"image": PNG}


async def test_replacing_and_removing_media_cleans_storage(
    client: Client, create: Create, storage: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    training = await create(media=PNG)
    path = f"/trainings/{training['id']}"
    first = await stored_name(db, training["id"])
    replaced = await client.patch(path, json={"media": JPEG}, headers=trainer())
    assert replaced.status_code == 200, replaced.text
    second = await stored_name(db, training["id"])
    assert second != first
    # authentication re-encodes every JPEG: the training carries what storage holds.
    stored = (await storage.get(f"/{second}")).json()["image"]
    assert replaced.json()["media"] == stored
    assert base64.b64decode(stored).startswith(b"\xff\xd8")
    assert (await storage.get(f"/{first}")).status_code == 404
    kept = await client.patch(path, json={"title": "Renamed", "media": None}, headers=trainer())
    assert kept.json()["media"] == stored
    removed = await client.patch(path, json={"media": ""}, headers=trainer())
    assert removed.json()["media"] is None
    assert await media_column(db, training["id"]) is None
    assert (await storage.get(f"/{second}")).status_code == 404


@pytest.mark.parametrize(
    ("media", "status"),
    [
        (base64.b64encode(b"just some text, not an image").decode(), 400),
        ("%%% not base64 %%%", 400),
        # Larger than authentication's 5 MiB, below this service's request limit.
        (base64.b64encode(b"\x89PNG\r\n\x1a\n" + bytes(5 * 1024 * 1024 + 1)).decode(), 413),
    ],
)
async def test_bad_or_oversized_media_is_rejected_and_nothing_is_created(
    client: Client, media: str, status: int
) -> None:
    response = await client.post("/trainings", json=training_body(media=media), headers=trainer())
    assert response.status_code == status, response.text
    assert response.json()["detail"].startswith("Invalid media")
    assert (await client.get("/trainings")).json()["count"] == 0


async def test_a_body_beyond_the_request_limit_is_413(client: Client) -> None:
    media = "A" * (11 * 1024 * 1024)
    response = await client.post("/trainings", json=training_body(media=media), headers=trainer())
    assert response.status_code == 413
    assert "detail" in response.json()


async def test_bad_media_on_edit_keeps_the_old_one(client: Client, create: Create) -> None:
    training = await create(media=PNG)
    response = await client.patch(
        f"/trainings/{training['id']}",
        json={"title": "Changed", "media": base64.b64encode(b"GIF89a").decode()},
        headers=trainer(),
    )
    assert response.status_code == 400
    after = (await client.get(f"/trainings/{training['id']}")).json()
    assert (after["title"], after["media"]) == ("Arm day", PNG)


async def test_media_missing_from_storage_reads_as_null(
    client: Client, create: Create, storage: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    training = await create(title="Lost media", media=PNG)
    name = await stored_name(db, training["id"])
    # Another replica's cache may still hold it; a fresh app shows what storage has.
    await storage.delete(f"/{name}")
    async with AsyncTestClient(app=create_app(make_settings(media_cache_bytes=0))) as fresh:
        assert (await fresh.get(f"/trainings/{training['id']}")).json()["media"] is None


async def test_a_page_of_media_comes_back_in_order(client: Client, create: Create) -> None:
    # Distinct bare PNGs: authentication keeps them byte for byte.
    images = [noise_png(4, seed) for seed in range(6)]
    for image in images:
        await create(media=image)
    async with AsyncTestClient(app=create_app(make_settings(media_cache_bytes=0))) as fresh:
        page = (await fresh.get("/trainings")).json()
    assert [item["media"] for item in page["items"]] == images[::-1]


def lookups(source: str) -> float:
    value = REGISTRY.get_sample_value("fiufit_trainings_media_lookups_total", {"source": source})
    return value or 0.0


async def test_concurrent_reads_of_one_image_share_a_download(
    create: Create, db: asyncpg.Connection
) -> None:
    training = await create(media=PNG)
    name = await stored_name(db, training["id"])
    async with httpx.AsyncClient() as http:
        uncached = Storage(
            http, AUTH_URL, SERVICE_TOKEN, MEDIA_WORDING, cache_bytes=0, concurrency=4
        )
        before = {source: lookups(source) for source in ("storage", "shared", "cache")}
        assert await asyncio.gather(*(uncached.get(name) for _ in range(5))) == [PNG] * 5
        assert lookups("storage") - before["storage"] == 1
        assert lookups("shared") - before["shared"] == 4

        cached = Storage(
            http, AUTH_URL, SERVICE_TOKEN, MEDIA_WORDING, cache_bytes=1024, concurrency=4
        )
        found = await asyncio.gather(cached.get(name), cached.get("trainings/0/media-none"))
        assert found == [PNG, None]
        before = {source: lookups(source) for source in ("storage", "shared", "cache")}
        assert await cached.get(name) == PNG
        assert lookups("cache") - before["cache"] == 1
        assert lookups("storage") == before["storage"]


async def test_storage_down_is_503_in_this_service_s_words() -> None:
    async with httpx.AsyncClient(timeout=1) as http:
        store = Storage(http, "http://127.0.0.1:1", SERVICE_TOKEN, MEDIA_WORDING, concurrency=4)
        for call in (
            store.put("trainings/1/media-x", PNG),
            store.get("trainings/1/media-x"),
            store.delete("trainings/1/media-x"),
            store.ping(),
        ):
            with pytest.raises(ServiceUnavailable) as raised:
                await call
            assert raised.value.status_code == 503
        with pytest.raises(ServiceUnavailable) as raised:
            await store.get("trainings/1/media-x")
        assert raised.value.detail == "Media storage is unavailable"


async def test_a_storage_refusing_this_service_is_503_and_creates_nothing() -> None:
    # authentication refuses a wrong service credential (401): storage is unusable here.
    app = create_app(make_settings(service_token="wrong-token"))
    async with AsyncTestClient(app=app) as other:
        response = await other.post("/trainings", json=training_body(media=PNG), headers=trainer())
        assert response.status_code == 503, response.text
        assert response.json() == {"detail": "Media storage is unavailable"}
        assert (await other.get("/trainings")).json()["count"] == 0
        # Trainings without media do not need storage.
        created = await other.post("/trainings", json=training_body(), headers=trainer())
        assert created.status_code == 201, created.text


async def test_removing_media_while_storage_refuses_still_succeeds(
    create: Create, db: asyncpg.Connection
) -> None:
    training = await create(media=PNG)
    name = await stored_name(db, training["id"])
    # Deleting the old object is best effort: the orphan is harmless, the edit goes through.
    app = create_app(make_settings(service_token="wrong-token"))
    async with AsyncTestClient(app=app) as other:
        removed = await other.patch(
            f"/trainings/{training['id']}", json={"media": ""}, headers=trainer()
        )
    assert removed.status_code == 200, removed.text
    assert removed.json()["media"] is None
    assert await media_column(db, training["id"]) is None
    await delete_stored(name)  # the orphan: no row names it for the cleanup


async def test_storage_round_trip_tracks_the_sizes_it_knows(storage: httpx.AsyncClient) -> None:
    name = "trainings/0/media-storage-test"
    async with httpx.AsyncClient() as http:
        store = Storage(http, AUTH_URL, SERVICE_TOKEN, MEDIA_WORDING, cache_bytes=1024)
        try:
            assert store.known_size(name) is None
            await store.put(name, PNG)
            assert store.known_size(name) == len(PNG)  # from authentication's answer
            assert await store.get(name) == PNG
            await store.ping()
            await store.delete(name)
            assert store.known_size(name) is None
            assert (await storage.get(f"/{name}")).status_code == 404
            await store.delete(name)  # already gone: fine
        finally:
            await storage.delete(f"/{name}")


@pytest.mark.parametrize(
    ("image", "status", "detail"),
    [
        (base64.b64encode(b"not an image").decode(), 400, "Invalid media: Unsupported image"),
        (
            base64.b64encode(b"\x89PNG\r\n\x1a\n" + bytes(5 * 1024 * 1024 + 1)).decode(),
            413,
            "Invalid media: Image larger than",
        ),
    ],
)
async def test_storage_refusals_keep_their_status_in_this_service_s_words(
    image: str, status: int, detail: str
) -> None:
    async with httpx.AsyncClient() as http:
        store = Storage(http, AUTH_URL, SERVICE_TOKEN, MEDIA_WORDING)
        with pytest.raises(HTTPException) as raised:
            await store.put("trainings/0/media-refused", image)
    assert raised.value.status_code == status
    assert raised.value.detail.startswith(detail)

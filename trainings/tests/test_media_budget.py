"""Pages of trainings (search, favourites) are bounded: at most 25 rows, and media inlined only
within a per-response budget (the first always), so anonymous searches over large images
cannot make one response hold them all in memory. A single training always carries its media."""

from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from tests.helpers import (
    ATHLETE,
    Client,
    Create,
    athlete,
    make_settings,
    noise_png,
    trainer,
    training_body,
)
from trainings.app import create_app
from trainings.trainings.service import MAX_LIMIT

BUDGET = 600_000  # base64 characters: two or three of the images below


def check_bounded(items: list[dict[str, Any]]) -> int:
    """The page's media form a prefix within the budget (the first always); the rest say they
    were left out. Returns how many were inlined."""
    inlined = [item for item in items if item["media"] is not None]
    assert items[0]["media"] is not None and items[0]["media_omitted"] is False
    assert len(inlined) == 1 or sum(len(item["media"]) for item in inlined) <= BUDGET
    assert all(item["media"] is not None for item in items[: len(inlined)])
    assert all(
        item["media"] is None and item["media_omitted"] is True for item in items[len(inlined) :]
    )
    return len(inlined)


async def test_a_search_page_inlines_media_only_within_its_budget(create: Create) -> None:
    created = [await create(media=noise_png(256, seed)) for seed in range(6)]
    settings = make_settings(response_media_bytes=BUDGET)
    for cache in (0, 64 * 1024 * 1024):  # cold (sizes unknown) and warm
        async with AsyncTestClient(app=create_app(settings.model_copy(
            update={"media_cache_bytes": cache}
        ))) as client:  # fmt: skip
            for _ in range(2):  # the second pass knows every size
                page = (await client.get("/trainings")).json()
                assert [item["id"] for item in page["items"]] == [t["id"] for t in created[::-1]]
                assert 1 <= check_bounded(page["items"]) < len(created)
            # The single read always carries the media a page left out.
            last = page["items"][-1]
            alone = (await client.get(f"/trainings/{last['id']}")).json()
            assert alone["media"] and alone["media_omitted"] is False


async def test_favourites_are_bounded_too(create: Create) -> None:
    settings = make_settings(response_media_bytes=BUDGET)
    async with AsyncTestClient(app=create_app(settings)) as client:
        for seed in range(5):
            training = await create(media=noise_png(256, seed))
            response = await client.post(
                f"/users/{ATHLETE}/trainings",
                json={"training_id": training["id"]},
                headers=athlete(),
            )
            assert response.status_code == 204
        page = (await client.get(f"/users/{ATHLETE}/trainings")).json()
        assert len(page["items"]) == 5
        assert 1 <= check_bounded(page["items"]) < 5


async def test_the_number_of_inlined_media_is_capped(create: Create) -> None:
    for seed in range(4):
        await create(media=noise_png(8, seed))
    async with AsyncTestClient(app=create_app(make_settings(response_media_items=2))) as client:
        items = (await client.get("/trainings")).json()["items"]
    assert [item["media"] is not None for item in items] == [True, True, False, False]
    assert [item["media_omitted"] for item in items] == [False, False, True, True]


async def test_a_page_of_the_apps_small_images_all_come_inline(
    client: Client, create: Create
) -> None:
    for seed in range(10):
        await create(media=noise_png(16, seed))
    items = (await client.get("/trainings")).json()["items"]
    assert len(items) == 10 and all(item["media"] and not item["media_omitted"] for item in items)


async def test_the_page_size_is_capped_at_25(client: Client) -> None:
    assert MAX_LIMIT == 25
    page = (await client.get("/trainings", params={"limit": 100})).json()
    assert page["limit"] == 25
    settings = make_settings(max_page_size=5)
    async with AsyncTestClient(app=create_app(settings)) as smaller:
        assert (await smaller.get("/trainings", params={"limit": 10})).json()["limit"] == 5


@pytest.mark.parametrize(
    "params",
    [{"limit": 0}, {"limit": -1}, {"limit": "ten"}, {"offset": -1}, {"offset": "x"}],
)
async def test_bad_pagination_is_400(client: Client, params: dict[str, Any]) -> None:
    for path in ("/trainings", f"/users/{ATHLETE}/trainings"):
        response = await client.get(path, params=params)
        assert response.status_code == 400, (path, response.text)
        assert "detail" in response.json()


async def test_media_beyond_the_upload_limit_is_413_before_storage() -> None:
    settings = make_settings(max_image_bytes=100_000)
    async with AsyncTestClient(app=create_app(settings)) as client:
        big = noise_png(200, 99)  # about 120 kB decoded: within the body limit, over this one
        body = training_body(media=big)
        response = await client.post("/trainings", json=body, headers=trainer())
        assert response.status_code == 413, response.text
        assert response.json()["detail"].startswith("Invalid media")
        assert (await client.get("/trainings")).json()["count"] == 0

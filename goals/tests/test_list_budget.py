"""GET /goals/{user_id} is bounded: at most MAX_LIST goals, and images inlined only within a
per-response budget (the first always), so a user with many large images cannot make one list
hold them all in memory."""

import base64
import random
import struct
import zlib
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from litestar.testing import AsyncTestClient

from goals.app import create_app
from goals.goals.service import MAX_LIST
from tests.helpers import (
    AUTH_URL,
    SERVICE_TOKEN,
    Client,
    FakeClock,
    create_goal,
    make_settings,
    new_goal,
    user,
)


def noise_png(side: int, seed: int) -> str:
    """A real RGB PNG of random pixels (it stays large whatever re-encodes it), base64."""
    rnd = random.Random(seed)
    raw = b"".join(b"\x00" + rnd.randbytes(side * 3) for _ in range(side))

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data)
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    png = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw, 1))
        + chunk(b"IEND", b"")
    )
    return base64.b64encode(png).decode()


BUDGET = 600_000  # base64 characters: two or three of the images below


@pytest.fixture
async def budgeted(clock: FakeClock) -> AsyncIterator[Client]:
    settings = make_settings(list_image_budget_bytes=BUDGET, list_max_images=25)
    async with AsyncTestClient(app=create_app(settings, clock=clock)) as client:
        yield client


async def _delete_images(goals: list[dict[str, Any]]) -> None:
    async with httpx.AsyncClient(headers={"X-Service-Token": SERVICE_TOKEN}) as http:
        for goal in goals:
            await http.delete(f"{AUTH_URL}/auth/storage/goals/{goal['id']}/image")


async def test_a_list_inlines_images_only_within_its_budget(budgeted: Client) -> None:
    created = [
        await create_goal(budgeted, user_id=21, image=noise_png(256, seed)) for seed in range(6)
    ]
    try:
        response = await budgeted.get("/goals/21", headers=user(21))
        assert response.status_code == 200, response.text
        goals = response.json()
        assert isinstance(goals, list) and [g["id"] for g in goals] == [g["id"] for g in created]
        inlined = [g for g in goals if g["image"] is not None]
        sizes = [len(g["image"]) for g in inlined]
        # The first image always comes; beyond it the running total stays within the budget.
        assert goals[0]["image"] is not None and goals[0]["image_omitted"] is False
        assert len(inlined) == 1 or sum(sizes) <= BUDGET
        # Inlined images form a prefix; the rest say they were left out.
        assert len(inlined) < len(goals)
        assert all(g["image"] is not None for g in goals[: len(inlined)])
        assert all(g["image"] is None and g["image_omitted"] is True for g in goals[len(inlined) :])
        # A page of one row always carries its image.
        last = len(goals) - 1
        alone = await budgeted.get(f"/goals/21?offset={last}&limit=1", headers=user(21))
        assert alone.status_code == 200
        [goal] = alone.json()
        assert goal["id"] == created[-1]["id"] and goal["image"] and not goal["image_omitted"]
    finally:
        await _delete_images(created)


async def test_the_number_of_inlined_images_is_capped(clock: FakeClock) -> None:
    settings = make_settings(list_max_images=2)
    async with AsyncTestClient(app=create_app(settings, clock=clock)) as client:
        created = [
            await create_goal(client, user_id=22, image=noise_png(8, seed)) for seed in range(4)
        ]
        try:
            goals = (await client.get("/goals/22", headers=user(22))).json()
            assert [g["image"] is not None for g in goals] == [True, True, False, False]
            assert [g["image_omitted"] for g in goals] == [False, False, True, True]
        finally:
            await _delete_images(created)


async def test_small_images_of_the_apps_week_all_come_inline(client: Client) -> None:
    created = [
        await create_goal(client, user_id=23, image=noise_png(16, seed)) for seed in range(8)
    ]
    try:
        goals = (await client.get("/goals/23", headers=user(23))).json()
        assert len(goals) == 8 and all(g["image"] and not g["image_omitted"] for g in goals)
    finally:
        await _delete_images(created)


async def test_the_list_is_paginated_and_capped(client: Client) -> None:
    for index in range(5):
        await create_goal(client, user_id=24, title=f"Goal {index}")
    all_goals = (await client.get("/goals/24", headers=user(24))).json()
    assert len(all_goals) == 5  # no parameters: everything up to MAX_LIST, as the app expects
    page = (await client.get("/goals/24?offset=1&limit=2", headers=user(24))).json()
    assert [g["id"] for g in page] == [g["id"] for g in all_goals[1:3]]
    assert (await client.get("/goals/24?offset=5", headers=user(24))).json() == []
    ok = await client.get(f"/goals/24?limit={MAX_LIST}", headers=user(24))
    assert ok.status_code == 200


@pytest.mark.parametrize(
    "query",
    ["limit=0", f"limit={MAX_LIST + 1}", "limit=-1", "offset=-1", "limit=abc", "offset=x"],
)
async def test_bad_pagination_is_400(client: Client, query: str) -> None:
    response = await client.get(f"/goals/24?{query}", headers=user(24))
    assert response.status_code == 400, response.text
    assert "detail" in response.json()


async def test_an_image_beyond_the_upload_limit_is_413_before_storage(clock: FakeClock) -> None:
    settings = make_settings(max_image_bytes=100_000)
    async with AsyncTestClient(app=create_app(settings, clock=clock)) as client:
        big = noise_png(200, 99)  # about 120 kB decoded: within the body limit, over this one
        response = await client.post("/goals/25", json=new_goal(image=big), headers=user(25))
        assert response.status_code == 413, response.text
        assert (await client.get("/goals/25", headers=user(25))).json() == []

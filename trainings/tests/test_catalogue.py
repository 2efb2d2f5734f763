from tests.helpers import Client


async def test_types_are_plain_strings_in_catalogue_order(client: Client) -> None:
    response = await client.get("/trainings/types/")
    assert response.status_code == 200
    assert response.json() == {"items": ["Cardio", "Leg", "Arm", "Chest", "Back", "Abdomen"]}


async def test_difficulties(client: Client) -> None:
    response = await client.get("/trainings/difficulties/")
    assert response.json() == {"items": ["Easy", "Medium", "Hard"]}


async def test_exercises_have_name_type_and_unit(client: Client) -> None:
    response = await client.get("/trainings/exercises/")
    assert response.status_code == 200
    items = response.json()["items"]
    assert len(items) == 25
    assert items[0] == {"name": "Walk", "type": "Cardio", "unit": "metre"}
    assert {"name": "Plank", "type": "Abdomen", "unit": None} in items
    assert sum(1 for item in items if item["unit"] is not None) == 4


async def test_paths_work_without_the_trailing_slash_too(client: Client) -> None:
    assert (await client.get("/trainings/types")).status_code == 200
    assert (await client.get("/trainings/exercises")).status_code == 200
    assert (await client.get("/trainings/healthcheck")).status_code == 200

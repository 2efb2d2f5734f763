"""GET/PATCH /users/{id}, GET /users (list, username, nearby), GET /users/locations/."""

import base64
from typing import Any

import httpx
import msgspec
import pytest

from tests.helpers import PNG_B64, Actor, Client, bearer, token

USER = "/users/{id}"


async def test_read_a_user_matrix(client: Client, make_actor: Any, admin_headers: Any) -> None:
    target: Actor = await make_actor()
    other: Actor = await make_actor(is_athlete=False)
    path = USER.format(id=target.id)
    assert (await client.get(path)).status_code == 401
    assert (await client.get(path, headers={"Authorization": "Bearer x.y.z"})).status_code == 401
    for headers in (target.headers, other.headers, admin_headers):
        response = await client.get(path, headers=headers)
        assert response.status_code == 200
        assert response.json() == msgspec.to_builtins(target.user)
    missing = await client.get(USER.format(id=99999999), headers=admin_headers)
    assert missing.status_code == 404 and missing.json()["detail"] == "User not found"


@pytest.mark.parametrize("bad_id", ["abc", "0", "-3", "1.5", str(2**70)])
async def test_bad_ids_are_4xx(client: Client, admin_headers: Any, bad_id: str) -> None:
    response = await client.get(f"/users/{bad_id}", headers=admin_headers)
    assert response.status_code in (400, 404)


async def test_patch_matrix(client: Client, make_actor: Any, admin_headers: Any) -> None:
    target: Actor = await make_actor()
    other: Actor = await make_actor()
    path = USER.format(id=target.id)
    assert (await client.patch(path, json={"name": "Nuevo"})).status_code == 401
    refused = await client.patch(path, json={"name": "Nuevo"}, headers=other.headers)
    assert refused.status_code == 403
    as_self = await client.patch(path, json={"name": "Propio"}, headers=target.headers)
    assert as_self.status_code == 200 and as_self.json()["name"] == "Propio"
    as_admin = await client.patch(path, json={"surname": "Admin"}, headers=admin_headers)
    assert as_admin.status_code == 200 and as_admin.json()["surname"] == "Admin"


async def test_admin_and_user_with_the_same_id_do_not_share_rights(
    client: Client, make_actor: Any, http: httpx.AsyncClient
) -> None:
    target: Actor = await make_actor()
    admin_with_same_id = bearer(await token(http, "admin", target.id))
    wallet = await client.get(f"/users/{target.id}/wallet", headers=admin_with_same_id)
    assert wallet.status_code == 403
    follow = await client.post(f"/users/{target.id}/followed/1", headers=admin_with_same_id)
    assert follow.status_code == 403


async def test_patch_ignores_mass_assignment(client: Client, make_actor: Any) -> None:
    """The mobile app echoes the whole object; only profile fields may change."""
    target: Actor = await make_actor()
    echoed = {
        **msgspec.to_builtins(target.user),
        "id": 999_999,
        "email": "hijack@example.com",
        "is_blocked": True,
        "is_athlete": False,
        "registration_date": "2001-01-01",
        "firebase_uid": "x",
        "has_image": True,
        "height": "1.91",
        "weight": "88",
        "location": "palermo",
    }
    response = await client.patch(USER.format(id=target.id), json=echoed, headers=target.headers)
    assert response.status_code == 200, response.text
    user = response.json()
    assert user["id"] == target.id and user["email"] == target.user.email
    assert user["is_blocked"] is False and user["is_athlete"] is True
    assert user["registration_date"] == target.user.registration_date.isoformat()
    assert user["height"] == 1.91 and user["weight"] == 88


@pytest.mark.parametrize(
    "body",
    [
        {"height": 9},
        {"weight": "a lot"},
        {"username": "no"},
        {"birth_date": "2999-12-31"},
        {"coordinates": [0, 100]},
        {"name": ["list"]},
        [],
    ],
)
async def test_bad_patch_bodies_are_400(client: Client, make_actor: Any, body: Any) -> None:
    target: Actor = await make_actor()
    response = await client.patch(USER.format(id=target.id), json=body, headers=target.headers)
    assert response.status_code == 400, response.text


async def test_patch_username_must_stay_unique(client: Client, make_actor: Any) -> None:
    first: Actor = await make_actor()
    second: Actor = await make_actor()
    response = await client.patch(
        USER.format(id=second.id),
        json={"username": first.user.username.upper()},
        headers=second.headers,
    )
    assert response.status_code == 400
    assert response.json()["detail"] == "User with that username already present"


async def test_patch_of_a_missing_user_is_404(client: Client, admin_headers: Any) -> None:
    response = await client.patch("/users/99999999", json={"name": "X"}, headers=admin_headers)
    assert response.status_code == 404


async def test_username_search_answers_one_object_or_404(client: Client, make_actor: Any) -> None:
    target: Actor = await make_actor()
    other: Actor = await make_actor()
    assert (
        await client.get("/users", params={"username": target.user.username})
    ).status_code == 401
    found = await client.get(
        "/users", params={"username": target.user.username.upper()}, headers=other.headers
    )
    assert found.status_code == 200
    body = found.json()
    assert body["id"] == target.id and body["username"] == target.user.username
    assert {"name", "surname", "email", "location"} <= set(body) and body["image"] is None
    missing = await client.get("/users", params={"username": "nobody-here"}, headers=other.headers)
    assert missing.status_code == 404 and missing.json()["detail"] == "User not found"


async def test_user_list_is_admin_only_and_paged(
    client: Client, make_actor: Any, admin_headers: Any
) -> None:
    actors = [await make_actor() for _ in range(12)]
    assert (await client.get("/users")).status_code == 401
    assert (await client.get("/users", headers=actors[0].headers)).status_code == 403
    first = (await client.get("/users", headers=admin_headers)).json()
    assert first["total"] == 12 and first["size"] == 10 and first["page"] == 1
    assert first["pages"] == 2
    assert [u["id"] for u in first["items"]] == [a.id for a in actors[:10]]
    second = await client.get("/users", params={"offset": 10, "limit": 10}, headers=admin_headers)
    assert second.json()["page"] == 2 and second.json()["size"] == 2
    huge = await client.get("/users", params={"limit": 100000}, headers=admin_headers)
    assert huge.status_code == 200 and huge.json()["size"] == 12


@pytest.mark.parametrize(
    "params",
    [
        {"offset": -1},
        {"limit": 0},
        {"limit": -5},
        {"limit": "ten"},
        {"limit": str(10**30)},
    ],
)
async def test_bad_paging_is_400(client: Client, admin_headers: Any, params: Any) -> None:
    response = await client.get("/users", params=params, headers=admin_headers)
    assert response.status_code == 400, response.text
    assert response.json()["detail"]


async def test_empty_list(client: Client, admin_headers: Any) -> None:
    response = await client.get("/users", headers=admin_headers)
    assert response.json() == {"items": [], "total": 0, "page": 1, "size": 0, "pages": 0}


async def place(client: Client, actor: Actor, lon: float, lat: float) -> None:
    response = await client.patch(
        USER.format(id=actor.id), json={"coordinates": [lon, lat]}, headers=actor.headers
    )
    assert response.status_code == 200, response.text


async def test_nearby_trainers_nearest_first(client: Client, make_actor: Any) -> None:
    athlete: Actor = await make_actor()
    far: Actor = await make_actor(is_athlete=False)
    near: Actor = await make_actor(is_athlete=False)
    middle: Actor = await make_actor(is_athlete=False)
    outside: Actor = await make_actor(is_athlete=False)
    here = (-58.4372, -34.5989)
    await place(client, far, here[0] + 0.008, here[1])  # ~730 m
    await place(client, near, here[0] + 0.001, here[1])  # ~90 m
    await place(client, middle, here[0], here[1] + 0.004)  # ~440 m
    await place(client, outside, here[0] + 0.05, here[1])  # ~4.6 km
    await place(client, athlete, here[0], here[1])  # athletes are not listed
    params = {"latitude": here[1], "longitude": here[0], "radius": 1000}
    response = await client.get("/users", params=params, headers=athlete.headers)
    assert response.status_code == 200, response.text
    page = response.json()
    assert [u["id"] for u in page["items"]] == [near.id, middle.id, far.id]
    assert page["total"] == 3 and page["page"] == 1 and page["pages"] == 1
    assert page["items"][0]["username"] == near.user.username
    second = await client.get(
        "/users", params={**params, "offset": 1, "limit": 1}, headers=athlete.headers
    )
    assert [u["id"] for u in second.json()["items"]] == [middle.id]
    # Moving a trainer moves the result; a huge radius is capped, not refused.
    await place(client, outside, here[0], here[1])
    capped = await client.get("/users", params={**params, "radius": 10**9}, headers=athlete.headers)
    assert capped.json()["items"][0]["id"] == outside.id
    assert (await client.get("/users", params=params)).status_code == 401


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"latitude": -34.6}, 406),
        ({"longitude": -58.4}, 406),
        ({"latitude": -34.6, "longitude": -58.4, "username": "someone"}, 406),
        ({"latitude": 91, "longitude": 0}, 400),
        ({"latitude": 0, "longitude": -181}, 400),
        ({"latitude": "north", "longitude": 0}, 400),
        ({"latitude": 0, "longitude": 0, "radius": -1}, 400),
        ({"latitude": 0, "longitude": 0, "radius": 0}, 400),
        ({"latitude": "nan", "longitude": 0}, 400),
    ],
)
async def test_bad_location_searches(
    client: Client, make_actor: Any, params: Any, status: int
) -> None:
    actor: Actor = await make_actor()
    response = await client.get("/users", params=params, headers=actor.headers)
    assert response.status_code == status, response.text
    assert response.json()["detail"]


async def test_location_messages_match_2023(client: Client, make_actor: Any) -> None:
    actor: Actor = await make_actor()
    only_lat = await client.get("/users", params={"latitude": 1}, headers=actor.headers)
    assert only_lat.json()["detail"] == "Longitude MUST BE defined when searching by location."
    both = await client.get(
        "/users", params={"latitude": 1, "longitude": 1, "username": "x"}, headers=actor.headers
    )
    assert both.json()["detail"] == "Can't search by username and location. Use only one."


async def test_locations_are_the_48_neighbourhoods(client: Client) -> None:
    response = await client.get("/users/locations/")
    assert response.status_code == 200
    locations = response.json()
    assert len(locations) == 48
    names = {item["location"] for item in locations}
    assert {"chacarita", "paternal", "villa crespo", "palermo", "belgrano"} <= names
    assert locations[2]["location"] == "villa crespo"
    lon, lat = locations[0]["coordinates"]
    assert -59 < lon < -58 and -35 < lat < -34


async def test_patch_replaces_the_avatar(client: Client, make_actor: Any) -> None:
    actor: Actor = await make_actor()
    changed = await client.patch(
        USER.format(id=actor.id), json={"image": PNG_B64}, headers=actor.headers
    )
    assert changed.status_code == 200
    found = await client.get(
        "/users", params={"username": actor.user.username}, headers=actor.headers
    )
    assert found.json()["image"] == PNG_B64
    refused = await client.patch(
        USER.format(id=actor.id), json={"image": "bm90IGFuIGltYWdl"}, headers=actor.headers
    )
    assert refused.status_code == 400


@pytest.mark.parametrize(
    ("image", "status", "detail"),
    [
        ("bm90IGFuIGltYWdl", 400, "Unsupported image: only JPEG, PNG and WebP are accepted"),
        ("%%% not base64 %%%", 400, "Incorrect image encoding: not base64"),
        # Within this service's body limit, over authentication's 5 MiB.
        (
            base64.b64encode(b"\x89PNG\r\n\x1a\n" + bytes(5 * 1024 * 1024 + 1)).decode(),
            413,
            "Image larger than 5242880 bytes",
        ),
    ],
)
async def test_a_refused_avatar_keeps_storage_s_status_and_detail(
    client: Client, make_actor: Any, image: str, status: int, detail: str
) -> None:
    actor: Actor = await make_actor()
    path = USER.format(id=actor.id)
    refused = await client.patch(
        path, json={"image": image, "name": "Nuevo"}, headers=actor.headers
    )
    assert refused.status_code == status, refused.text
    assert refused.json() == {"detail": detail}
    # Nothing of the edit was applied.
    assert (await client.get(path, headers=actor.headers)).json()["name"] == actor.user.name

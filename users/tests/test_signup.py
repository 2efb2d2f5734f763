"""Sign-up with e-mail and with Google: validation, exact shapes, and compensation."""

from typing import Any

import asyncpg
import httpx
import pytest
from litestar.testing import AsyncTestClient
from pymongo import AsyncMongoClient

from tests.helpers import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    AUTH_URL,
    CLOSED_PORT_URL,
    MONGO_DATABASE,
    PNG_B64,
    SERVICE_TOKEN,
    Client,
    bearer,
    google_credential,
    make_settings,
    outbox_metrics,
    profile,
    token,
    unique_email,
)
from users.app import create_app

USER_FIELDS = {
    "id",
    "email",
    "username",
    "name",
    "surname",
    "height",
    "weight",
    "birth_date",
    "location",
    "registration_date",
    "is_athlete",
    "is_blocked",
}


async def count_users(db: asyncpg.Pool, email: str) -> int:
    async with db.acquire() as conn:
        found: int = await conn.fetchval(
            "SELECT count(*) FROM users WHERE lower(email) = lower($1)", email
        )
    return found


async def firebase_has(http: httpx.AsyncClient, email: str) -> bool:
    """Whether a Firebase account exists: creating it again is refused with 409."""
    response = await http.post(
        f"{AUTH_URL}/auth/accounts",
        json={"email": email, "password": "probe-password"},
        headers={"X-Service-Token": SERVICE_TOKEN},
    )
    if response.status_code == 201:
        uid = response.json()["id"]
        await http.delete(
            f"{AUTH_URL}/auth/accounts/{uid}", headers={"X-Service-Token": SERVICE_TOKEN}
        )
        return False
    assert response.status_code == 409, response.text
    return True


async def test_email_sign_up_answers_the_user_object(client: Client, db: asyncpg.Pool) -> None:
    body = profile(coordinates=[-58.4372, -34.5989])
    response = await client.post("/users", json=body)
    assert response.status_code == 201, response.text
    user = response.json()
    assert set(user) == USER_FIELDS
    assert user["email"] == body["email"] and user["username"] == body["username"]
    assert user["is_blocked"] is False and user["is_athlete"] is True
    assert user["height"] == 1.75 and user["weight"] == 70
    assert user["birth_date"] == "1990-04-23" and user["location"] == "villa crespo"
    assert isinstance(user["id"], int)
    assert await outbox_metrics(db) == [
        ("user_created_count", "using_email_password"),
        ("user_by_region_count", "villa crespo"),
    ]


async def test_sign_up_accepts_numeric_strings_and_ignores_what_it_may_not_set(
    client: Client,
) -> None:
    body = profile(
        height="1.80",
        weight="82",
        id=999,
        is_blocked=True,
        registration_date="1999-01-01",
        wallet={"address": "0x0"},
        google_token="ignored",
    )
    response = await client.post("/users", json=body)
    assert response.status_code == 201, response.text
    user = response.json()
    assert user["height"] == 1.8 and user["weight"] == 82
    assert user["id"] != 999 and user["is_blocked"] is False
    assert user["registration_date"] != "1999-01-01"


@pytest.mark.parametrize(
    "overrides",
    [
        {"email": "not-an-email"},
        {"email": None},
        {"password": "12345"},
        {"username": "abc"},
        {"username": "has space"},
        {"username": "x" * 21},
        {"name": ""},
        {"name": "R2D2"},
        {"surname": 42},
        {"height": 3.1},
        {"height": 0.2},
        {"height": "tall"},
        {"weight": 10},
        {"weight": 401},
        {"weight": "heavy"},
        {"birth_date": "2999-01-01"},
        {"birth_date": "not a date"},
        {"is_athlete": "maybe"},
        {"coordinates": [200, 10]},
        {"coordinates": [10, -95]},
        {"coordinates": [1, 2, 3]},
        {"coordinates": "palermo"},
    ],
)
async def test_bad_sign_up_bodies_are_400(
    client: Client, db: asyncpg.Pool, overrides: dict[str, Any]
) -> None:
    body = profile(**overrides)
    response = await client.post("/users", json=body)
    assert response.status_code == 400, (overrides, response.text)
    assert response.json()["detail"]
    if isinstance(body["email"], str):
        assert await count_users(db, body["email"]) == 0


async def test_missing_fields_and_wrong_shapes_are_400(client: Client) -> None:
    for body in ({}, [], "a string", {"email": unique_email()}):
        response = await client.post("/users", json=body)
        assert response.status_code == 400, body


async def test_email_and_username_are_unique_case_insensitively(client: Client) -> None:
    first = profile()
    assert (await client.post("/users", json=first)).status_code == 201
    same_email = profile(email=first["email"].upper())
    response = await client.post("/users", json=same_email)
    assert response.status_code == 400
    assert response.json()["detail"] == "User with that email already present"
    same_username = profile(username=first["username"].upper())
    response = await client.post("/users", json=same_username)
    assert response.status_code == 400
    assert response.json()["detail"] == "User with that username already present"


async def test_avatar_is_stored_and_returned_by_username_search(
    client: Client, http: httpx.AsyncClient
) -> None:
    body = profile(image=PNG_B64)
    created = (await client.post("/users", json=body)).json()
    headers = bearer(await token(http, "user", created["id"], True))
    response = await client.get("/users", params={"username": body["username"]}, headers=headers)
    assert response.status_code == 200
    assert response.json()["image"] == PNG_B64


async def test_a_failed_avatar_leaves_no_account_behind(
    client: Client, db: asyncpg.Pool, http: httpx.AsyncClient
) -> None:
    body = profile(image="bm90IGFuIGltYWdl")  # base64 of "not an image"
    response = await client.post("/users", json=body)
    assert response.status_code == 400, response.text
    assert await count_users(db, body["email"]) == 0
    assert not await firebase_has(http, body["email"])
    # The same sign-up with a real image then works: nothing was left half-made.
    assert (await client.post("/users", json={**body, "image": PNG_B64})).status_code == 201


async def test_a_location_store_outage_rolls_the_whole_sign_up_back(
    db: asyncpg.Pool, http: httpx.AsyncClient, mongo: AsyncMongoClient[dict[str, Any]]
) -> None:
    broken = create_app(
        make_settings(mongo_url=f"mongodb://{CLOSED_PORT_URL}", mongo_timeout_ms=300)
    )
    body = profile(is_athlete=False, coordinates=[-58.43, -34.59], image=PNG_B64)
    async with AsyncTestClient(app=broken) as client:
        response = await client.post("/users", json=body)
    assert response.status_code == 503, response.text
    assert await count_users(db, body["email"]) == 0
    assert not await firebase_has(http, body["email"])
    assert await mongo[MONGO_DATABASE]["user_location"].count_documents({}) == 0
    async with db.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM outbox") == 0


async def test_a_payment_outage_does_not_stop_sign_up(db: asyncpg.Pool) -> None:
    """The wallet is created lazily on first use instead."""
    no_payment = create_app(make_settings(payment_url=f"http://{CLOSED_PORT_URL}"))
    async with AsyncTestClient(app=no_payment) as client:
        response = await client.post("/users", json=profile())
    assert response.status_code == 201, response.text


async def test_google_sign_up_then_google_login(client: Client, db: asyncpg.Pool) -> None:
    email = unique_email()
    credential = google_credential(email)
    unknown = await client.post(
        "/users/login/usersIDP", json={"email": email}, headers={"Authorization": credential}
    )
    assert unknown.status_code == 404
    assert unknown.json() == {"detail": {"message": "No IDP user with such an email"}}

    body = profile(email=email, password="", google_token=credential, image=None)
    created = await client.post("/users/usersIDP", json=body, headers={"Authorization": credential})
    assert created.status_code == 201, created.text
    assert created.json()["email"] == email

    login = await client.post(
        "/users/login/usersIDP", json={"email": email}, headers={"Authorization": credential}
    )
    assert login.status_code == 200, login.text
    assert login.json() == {"token": login.json()["token"], "id": created.json()["id"]}
    metrics = await outbox_metrics(db)
    assert ("user_created_count", "using_idp") in metrics
    assert ("user_login_count", "using_idp") in metrics


async def test_google_sign_up_needs_a_matching_google_credential(client: Client) -> None:
    email = unique_email()
    missing = await client.post("/users/usersIDP", json=profile(email=email))
    assert missing.status_code == 400
    other = google_credential(unique_email())
    mismatch = await client.post(
        "/users/usersIDP", json=profile(email=email), headers={"Authorization": other}
    )
    assert mismatch.status_code == 401
    # (The emulator cannot check Google access tokens: a broken id_token stands in for garbage.)
    garbage = await client.post(
        "/users/usersIDP", json=profile(email=email), headers={"Authorization": "{not json"}
    )
    assert garbage.status_code == 401


async def test_an_orphan_firebase_account_is_adopted_with_its_password(
    client: Client, http: httpx.AsyncClient
) -> None:
    """A sign-up that crashed after creating the Firebase account can be repeated."""
    body = profile()
    made = await http.post(
        f"{AUTH_URL}/auth/accounts",
        json={"email": body["email"], "password": body["password"]},
        headers={"X-Service-Token": SERVICE_TOKEN},
    )
    assert made.status_code == 201
    wrong = await client.post("/users", json={**body, "password": "somebody-else"})
    assert wrong.status_code == 400
    assert wrong.json()["detail"] == "User with that email already present"
    response = await client.post("/users", json=body)
    assert response.status_code == 201, response.text
    login = await client.post(
        "/users/login", json={"email": body["email"], "password": body["password"]}
    )
    assert login.status_code == 200 and login.json()["id"] == response.json()["id"]


async def test_an_admin_firebase_account_is_never_adopted(client: Client) -> None:
    body = profile(email=ADMIN_EMAIL, password=ADMIN_PASSWORD)
    response = await client.post("/users", json=body)
    assert response.status_code == 400
    assert response.json()["detail"] == "User with that email already present"


async def test_a_failed_google_sign_up_leaves_nothing_behind(
    client: Client, db: asyncpg.Pool
) -> None:
    email = unique_email()
    credential = {"Authorization": google_credential(email)}
    body = profile(email=email, password="", image="bm90IGFuIGltYWdl")
    failed = await client.post("/users/usersIDP", json=body, headers=credential)
    assert failed.status_code == 400, failed.text
    assert await count_users(db, email) == 0
    retried = await client.post(
        "/users/usersIDP", json={**body, "image": PNG_B64}, headers=credential
    )
    assert retried.status_code == 201, retried.text

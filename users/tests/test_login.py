"""Logins: password, Bearer re-login, Google, admin; blocked users; rate limiting."""

from typing import Any

import asyncpg
import httpx
from litestar.testing import AsyncTestClient

from tests.helpers import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    EMULATOR,
    PROJECT,
    Client,
    bearer,
    delete_firebase_account,
    google_credential,
    make_settings,
    outbox_metrics,
    profile,
    sign_up,
    token,
    unique_email,
)
from users.app import create_app


async def login(client: Client, email: str, password: str, **kwargs: Any) -> httpx.Response:
    return await client.post("/users/login", json={"email": email, "password": password}, **kwargs)


async def test_password_login_answers_token_and_id(client: Client, db: asyncpg.Pool) -> None:
    user = await sign_up(client)
    response = await login(client, user["email"], user["password"])
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"token", "id"} and body["id"] == user["id"]
    me = await client.get(f"/users/{user['id']}", headers=bearer(body["token"]))
    assert me.status_code == 200 and me.json()["username"] == user["username"]
    assert ("user_login_count", "using_email_password") in await outbox_metrics(db)


async def test_login_is_case_insensitive_on_the_email(client: Client) -> None:
    user = await sign_up(client)
    response = await login(client, user["email"].upper(), user["password"])
    assert response.status_code == 200


async def test_wrong_password_and_unknown_email_are_the_same_401(client: Client) -> None:
    user = await sign_up(client)
    wrong = await login(client, user["email"], "wrong-password")
    unknown = await login(client, unique_email(), "whatever-password")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json() == {"detail": "Invalid credentials"}


async def test_bad_login_bodies_are_4xx(client: Client) -> None:
    for body in ([], {"email": 5, "password": []}, {"email": "a" * 300, "password": "x"}):
        response = await client.post("/users/login", json=body)
        assert response.status_code == 400, body
    empty = await client.post("/users/login", json={})
    assert empty.status_code == 401


async def test_bearer_relogin(client: Client, http: httpx.AsyncClient) -> None:
    user = await sign_up(client)
    jwt = await token(http, "user", user["id"], True)
    response = await client.post("/users/login", json={}, headers=bearer(jwt))
    assert response.status_code == 200, response.text
    assert response.json()["id"] == user["id"]
    for bad in ("Bearer nonsense", f"Bearer {await token(http, 'admin', user['id'])}"):
        refused = await client.post("/users/login", json={}, headers={"Authorization": bad})
        assert refused.status_code == 401


async def test_blocked_users_are_refused_on_every_login_path(
    client: Client, http: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    user = await sign_up(client)
    email = unique_email()
    credential = google_credential(email)
    google = await client.post(
        "/users/usersIDP", json=profile(email=email), headers={"Authorization": credential}
    )
    assert google.status_code == 201
    jwt = (await login(client, user["email"], user["password"])).json()["token"]

    for user_id in (user["id"], google.json()["id"]):
        blocked = await client.patch(f"/users/status/{user_id}", headers=admin_headers)
        assert blocked.status_code == 200 and blocked.json()["is_blocked"] is True

    by_password = await login(client, user["email"], user["password"])
    assert by_password.status_code == 401
    assert by_password.json()["detail"] == "User is blocked"
    by_token = await client.post("/users/login", json={}, headers=bearer(jwt))
    assert by_token.status_code == 401
    by_google = await client.post(
        "/users/login/usersIDP", json={"email": email}, headers={"Authorization": credential}
    )
    assert by_google.status_code == 401
    assert by_google.json()["detail"] == "User is blocked"

    await client.patch(f"/users/status/{user['id']}", headers=admin_headers)
    assert (await login(client, user["email"], user["password"])).status_code == 200


async def test_google_login_needs_the_credential(client: Client) -> None:
    response = await client.post("/users/login/usersIDP", json={"email": unique_email()})
    assert response.status_code == 400
    assert response.json()["detail"] == "Missing IDP token"


async def test_admin_login_with_the_bootstrap_admin(client: Client) -> None:
    response = await client.post(
        "/admins/login", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"token", "id"}
    admins = await client.get("/admins", headers=bearer(body["token"]))
    assert admins.status_code == 200
    assert any(a["email"] == ADMIN_EMAIL for a in admins.json())
    wrong = await client.post("/admins/login", json={"email": ADMIN_EMAIL, "password": "nope-nope"})
    assert wrong.status_code == 401


async def test_a_user_cannot_log_in_as_admin(client: Client) -> None:
    user = await sign_up(client)
    response = await client.post(
        "/admins/login", json={"email": user["email"], "password": user["password"]}
    )
    assert response.status_code == 401


async def test_login_attempts_are_rate_limited_per_account_and_per_client() -> None:
    limited = create_app(make_settings(login_attempts_per_account=3, login_attempts_per_client=5))
    async with AsyncTestClient(app=limited) as client:
        email = unique_email()
        statuses = [(await login(client, email, "wrong-password")).status_code for _ in range(4)]
        assert statuses == [401, 401, 401, 429]
        too_many = await login(client, email, "wrong-password")
        assert 1 <= int(too_many.headers["retry-after"]) <= 60
        assert too_many.json()["detail"]
        # Another account from the same client: the per-client budget (5) is spent too.
        other = await login(client, unique_email(), "wrong-password")
        assert other.status_code == 429


async def test_google_login_must_be_the_account_of_the_sign_up(
    client: Client, db: asyncpg.Pool, http: httpx.AsyncClient
) -> None:
    """Matching by e-mail alone: another Google identity claiming the e-mail (here the account
    made at sign-up is gone, so Firebase makes a new one) logged in as the user."""
    email = unique_email()
    created = await client.post(
        "/users/usersIDP",
        json=profile(email=email),
        headers={"Authorization": google_credential(email)},
    )
    assert created.status_code == 201, created.text
    async with db.acquire() as conn:
        uid = await conn.fetchval("SELECT firebase_uid FROM users WHERE email = $1", email)
    await delete_firebase_account(http, uid)
    try:
        response = await client.post(
            "/users/login/usersIDP",
            json={"email": email},
            headers={"Authorization": google_credential(email)},
        )
        assert response.status_code == 401, response.text
        assert response.json() == {"detail": "Invalid credentials"}
    finally:
        found = await http.post(
            f"{EMULATOR}/identitytoolkit.googleapis.com/v1/projects/{PROJECT}/accounts:lookup",
            json={"email": [email]},
            headers={"Authorization": "Bearer owner"},
        )
        for account in found.json().get("users", []):
            await delete_firebase_account(http, account["localId"])


async def test_google_login_of_the_sign_up_account_still_works(client: Client) -> None:
    email = unique_email()
    credential = google_credential(email)
    created = await client.post(
        "/users/usersIDP", json=profile(email=email), headers={"Authorization": credential}
    )
    assert created.status_code == 201, created.text
    response = await client.post(
        "/users/login/usersIDP", json={"email": email}, headers={"Authorization": credential}
    )
    assert response.status_code == 200, response.text
    assert response.json()["id"] == created.json()["id"]

"""Admins, and the block toggle."""

from typing import Any

import asyncpg
import httpx
import pytest
from litestar.exceptions import NotAuthorizedException
from litestar.testing import AsyncTestClient
from redis.asyncio import Redis

from tests.helpers import (
    ADMIN_EMAIL,
    AUTH_URL,
    EMULATOR,
    PROJECT,
    SERVICE_TOKEN,
    Client,
    bearer,
    delete_firebase_account,
    eventually,
    make_settings,
    outbox_metrics,
    sign_up,
    token,
    unique,
    unique_email,
    wait_for_bootstrap_admin,
    wait_for_bootstrap_to_finish,
)
from users.app import create_app
from users.settings import Settings
from users.tokens import BLOCKED_USERS_KEY, TokenVerifier


async def test_admin_routes_need_an_admin(
    client: Client, make_actor: Any, admin_headers: Any
) -> None:
    user = await make_actor()
    body = {"username": unique("adm"), "email": unique_email(), "password": "secret-pw"}
    for method, path, payload in (("GET", "/admins", None), ("POST", "/admins", body)):
        assert (await client.request(method, path, json=payload)).status_code == 401
        forbidden = await client.request(method, path, json=payload, headers=user.headers)
        assert forbidden.status_code == 403
    listed = await client.get("/admins", headers=admin_headers)
    assert listed.status_code == 200
    assert [set(a) for a in listed.json()] == [{"id", "username", "email"}]
    assert listed.json()[0]["email"] == ADMIN_EMAIL


async def test_admin_routes_check_the_role_before_the_input(
    client: Client, make_actor: Any, admin_headers: Any
) -> None:
    """The `admin_only` guard runs before parameters and bodies are read: a user's token is a
    403 even with bad input, which only an admin learns is a 400."""
    user = await make_actor()
    for method, path, payload in (
        ("POST", "/admins", {"username": "x"}),
        ("PATCH", "/users/status/0", None),
        ("PATCH", f"/users/{user.id}/wallet/balance", {"amount": -1}),
        ("GET", "/users/transactions?limit=0", None),
    ):
        assert (await client.request(method, path, json=payload)).status_code == 401
        as_user = await client.request(method, path, json=payload, headers=user.headers)
        assert as_user.status_code == 403, path
        as_admin = await client.request(method, path, json=payload, headers=admin_headers)
        assert as_admin.status_code == 400, path


async def test_an_admin_creates_an_admin_who_can_log_in(client: Client, admin_headers: Any) -> None:
    body = {"username": unique("adm"), "email": unique_email(), "password": "secret-pw"}
    created = await client.post("/admins", json=body, headers=admin_headers)
    assert created.status_code == 200, created.text
    admin = created.json()
    assert admin == {"id": admin["id"], "username": body["username"], "email": body["email"]}
    login = await client.post(
        "/admins/login", json={"email": body["email"], "password": body["password"]}
    )
    assert login.status_code == 200 and login.json()["id"] == admin["id"]
    duplicate = await client.post(
        "/admins", json={**body, "username": unique("adm")}, headers=admin_headers
    )
    assert duplicate.status_code == 409
    # Admin ids are not user ids: the new admin's token has no user's rights.
    assert (await client.get("/admins", headers=bearer(login.json()["token"]))).status_code == 200


async def test_bad_admin_bodies(client: Client, admin_headers: Any) -> None:
    for body in (
        {"username": "x", "email": unique_email(), "password": "secret-pw"},
        {"username": unique("adm"), "email": "nope", "password": "secret-pw"},
        {"username": unique("adm"), "email": unique_email(), "password": "123"},
        {"username": unique("adm"), "email": unique_email()},
    ):
        response = await client.post("/admins", json=body, headers=admin_headers)
        assert response.status_code == 400, body


async def test_block_toggle(
    client: Client,
    admin_headers: Any,
    make_actor: Any,
    http: httpx.AsyncClient,
    redis: Redis,
    db: asyncpg.Pool,
) -> None:
    user = await sign_up(client)
    user_token = bearer(await token(http, "user", user["id"], True))
    path = f"/users/status/{user['id']}"
    other = await make_actor()
    assert (await client.patch(path)).status_code == 401
    assert (await client.patch(path, headers=other.headers)).status_code == 403
    assert (await client.get(f"/users/{user['id']}", headers=user_token)).status_code == 200

    blocked = await client.patch(path, headers=admin_headers)
    assert blocked.status_code == 200, blocked.text
    assert blocked.json()["is_blocked"] is True and blocked.json()["id"] == user["id"]
    assert await redis.sismember(BLOCKED_USERS_KEY, str(user["id"]))
    # Firebase refuses the account too.
    firebase = await http.post(
        "http://127.0.0.1:8002/auth/accounts/login",
        json={"email": user["email"], "password": user["password"]},
        headers={"X-Service-Token": "fiufit-local-service-token"},
    )
    assert firebase.status_code == 401

    # Existing tokens die as soon as the cached blocked set (two seconds old at most) is renewed.
    async def token_refused() -> bool:
        refused = await client.get(f"/users/{user['id']}", headers=user_token)
        return refused.status_code == 401

    await eventually(token_refused, "the blocked user's token to be refused")
    dead = await client.get(f"/users/{user['id']}", headers=user_token)
    assert dead.status_code == 401 and dead.json()["detail"] == "User is blocked"

    unblocked = await client.patch(path, headers=admin_headers)
    assert unblocked.json()["is_blocked"] is False
    assert not await redis.sismember(BLOCKED_USERS_KEY, str(user["id"]))
    # At once (the cached set may still list the user: see the test below).
    assert (await client.get(f"/users/{user['id']}", headers=user_token)).status_code == 200
    login = await client.post(
        "/users/login", json={"email": user["email"], "password": user["password"]}
    )
    assert login.status_code == 200
    metrics = [m for m, _ in await outbox_metrics(db)]
    assert metrics.count("user_blocked_count") == 1
    assert metrics.count("user_unblocked_count") == 1


async def test_blocked_set_heals_from_the_database(
    client: Client, admin_headers: Any, make_actor: Any, redis: Redis
) -> None:
    """A lost Redis write is repaired by the periodic sync (every second in tests)."""
    user = await make_actor()
    await client.patch(f"/users/status/{user.id}", headers=admin_headers)
    await redis.delete(BLOCKED_USERS_KEY)

    async def listed() -> bool:
        return bool(await redis.sismember(BLOCKED_USERS_KEY, str(user.id)))

    await eventually(listed, "the sync to list the blocked user again")


async def test_a_refusal_from_the_cached_blocked_set_is_confirmed_in_redis(
    make_actor: Any, http: httpx.AsyncClient, redis: Redis
) -> None:
    """An unblocked user is accepted at once, although the cached set still lists them. The
    cache cannot expire during the test (nor before its first fetch: the age exceeds any
    uptime), so the refusal came from the cache and the acceptance from the confirmation."""
    user = await make_actor()
    verifier = TokenVerifier(
        http,
        f"{AUTH_URL}/auth/.well-known/jwks.json",
        make_settings().jwt_issuer,
        redis,
        blocked_max_age=1e9,
    )
    await redis.sadd(BLOCKED_USERS_KEY, str(user.id))
    with pytest.raises(NotAuthorizedException, match="User is blocked"):
        await verifier.verify(user.headers["Authorization"])  # caches the set with the user
    await redis.srem(BLOCKED_USERS_KEY, str(user.id))
    assert (await verifier.verify(user.headers["Authorization"])).id == user.id


async def test_block_toggle_of_an_unknown_user_is_404(client: Client, admin_headers: Any) -> None:
    response = await client.patch("/users/status/99999999", headers=admin_headers)
    assert response.status_code == 404


async def admin_uid(db: asyncpg.Pool, admin_id: int) -> str:
    async with db.acquire() as conn:
        return str(await conn.fetchval("SELECT firebase_uid FROM admins WHERE id = $1", admin_id))


async def bootstrapped_then_account_lost(
    db: asyncpg.Pool, http: httpx.AsyncClient
) -> tuple[Settings, str, str, int, str]:
    """An app created its bootstrap admin, then the admin's Firebase account was deleted (a
    reset emulator): the settings, e-mail, password, admin id and the lost uid."""
    email, password = unique_email(), "bootstrap-secret"
    settings = make_settings(
        bootstrap_admin_email=email,
        bootstrap_admin_password=password,
        bootstrap_admin_username=unique("boot"),
    )
    async with AsyncTestClient(app=create_app(settings)):
        admin_id = await wait_for_bootstrap_admin(db, email)
    lost_uid = await admin_uid(db, admin_id)
    await delete_firebase_account(http, lost_uid)
    return settings, email, password, admin_id, lost_uid


async def test_bootstrap_adopts_an_existing_firebase_account(
    db: asyncpg.Pool, http: httpx.AsyncClient
) -> None:
    """An admin row lost while its Firebase account survived: the password proves it is ours."""
    email, password = unique_email(), "bootstrap-secret"
    made = await http.post(
        f"{AUTH_URL}/auth/accounts",
        json={"email": email, "password": password},
        headers={"X-Service-Token": SERVICE_TOKEN},
    )
    assert made.status_code == 201
    app = create_app(
        make_settings(
            bootstrap_admin_email=email,
            bootstrap_admin_password=password,
            bootstrap_admin_username=unique("boot"),
        )
    )
    async with AsyncTestClient(app=app) as client:
        admin_id = await wait_for_bootstrap_admin(db, email)
        login = await client.post("/admins/login", json={"email": email, "password": password})
    assert login.status_code == 200 and login.json()["id"] == admin_id
    uid = await admin_uid(db, admin_id)
    assert uid == made.json()["id"]


async def test_bootstrap_recreates_a_missing_firebase_account(
    db: asyncpg.Pool, http: httpx.AsyncClient
) -> None:
    """The row survived while its Firebase account did not (a reset emulator): the next start
    creates the account again, so the configured credentials sign in."""
    settings, email, password, admin_id, lost_uid = await bootstrapped_then_account_lost(db, http)

    async with AsyncTestClient(app=create_app(settings)) as client:
        # One attempt once start-up is over (retries would also run into the login rate limit).
        wait_for_bootstrap_to_finish(client)
        login = await client.post("/admins/login", json={"email": email, "password": password})
    assert login.status_code == 200 and login.json()["id"] == admin_id
    uid = await admin_uid(db, admin_id)
    assert uid != lost_uid


async def emulator_sign_up(http: httpx.AsyncClient, email: str, password: str) -> str:
    """Creates a Firebase account straight in the emulator (as a reset-and-recreate would)."""
    made = await http.post(
        f"{EMULATOR}/identitytoolkit.googleapis.com/v1/projects/{PROJECT}/accounts",
        json={"email": email, "password": password},
        headers={"Authorization": "Bearer owner"},
    )
    assert made.status_code == 200, made.text
    return str(made.json()["localId"])


async def test_bootstrap_follows_an_account_recreated_under_a_new_uid(
    db: asyncpg.Pool, http: httpx.AsyncClient
) -> None:
    """The lock-out: Firebase accounts reset, the admin's account made again (new uid), and the
    row kept the old uid, so the configured credentials answered 401 at every start."""
    settings, email, password, admin_id, old_uid = await bootstrapped_then_account_lost(db, http)
    new_uid = await emulator_sign_up(http, email, password)
    assert new_uid != old_uid

    async with AsyncTestClient(app=create_app(settings)) as client:
        wait_for_bootstrap_to_finish(client)
        login = await client.post("/admins/login", json={"email": email, "password": password})
    assert login.status_code == 200, login.text
    assert login.json()["id"] == admin_id
    uid = await admin_uid(db, admin_id)
    assert uid == new_uid


async def test_no_other_account_can_claim_the_bootstrap_admin(
    db: asyncpg.Pool, http: httpx.AsyncClient
) -> None:
    """Someone re-creates the admin's e-mail with a password of their own while the account is
    gone: the row does not follow it, and that password does not sign in as admin."""
    settings, email, _, admin_id, old_uid = await bootstrapped_then_account_lost(db, http)
    squatter = await emulator_sign_up(http, email, "the-squatters-password")
    try:
        async with AsyncTestClient(app=create_app(settings)) as client:
            wait_for_bootstrap_to_finish(client)
            claim = await client.post(
                "/admins/login", json={"email": email, "password": "the-squatters-password"}
            )
        assert claim.status_code == 401
        uid = await admin_uid(db, admin_id)
        assert uid == old_uid
    finally:
        await delete_firebase_account(http, squatter)


async def test_bootstrap_does_not_adopt_an_account_with_another_password(
    db: asyncpg.Pool, http: httpx.AsyncClient
) -> None:
    email = unique_email()
    made = await http.post(
        f"{AUTH_URL}/auth/accounts",
        json={"email": email, "password": "the-real-password"},
        headers={"X-Service-Token": SERVICE_TOKEN},
    )
    assert made.status_code == 201
    app = create_app(
        make_settings(
            bootstrap_admin_email=email,
            bootstrap_admin_password="a-guess-at-it",
            bootstrap_admin_username=unique("boot"),
        )
    )
    async with AsyncTestClient(app=app) as client:
        # It must give up (a wrong password is no outage to retry), and adopt nothing.
        wait_for_bootstrap_to_finish(client)
        assert (await client.get("/users/healthcheck/")).status_code == 200
    async with db.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM admins WHERE email = $1", email) == 0
    await delete_firebase_account(http, made.json()["id"])

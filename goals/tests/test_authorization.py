"""Who may call what: 401 for no or bad token (before anything else is looked at), 403 for a
caller without the right, and the acting user always from the token."""

from collections.abc import Callable
from typing import Any

import asyncpg
import pytest
from litestar.testing import AsyncTestClient
from redis.asyncio import Redis

from goals.app import create_app
from goals.goals import repository
from tests.helpers import (
    DATABASE_URL,
    Client,
    admin,
    create_goal,
    make_settings,
    new_goal,
    token,
    user,
)

Headers = dict[str, str]
ACTORS: dict[str, Callable[[], Headers]] = {
    "owner": lambda: user(5),
    "other user": lambda: user(6),
    "trainer": lambda: {"Authorization": f"Bearer {token('user', 7, is_athlete=False)}"},
    "admin": lambda: admin(1),
    "admin with the owner's id": lambda: admin(5),
}

# route → expected status per actor (goal {gid} belongs to user 5)
MATRIX: list[tuple[str, str, dict[str, int]]] = [
    ("GET", "/goals/metrics", dict.fromkeys(ACTORS, 200)),
    ("GET", "/goals/5", {**dict.fromkeys(ACTORS, 403), "owner": 200, "admin": 200,
                          "admin with the owner's id": 200}),
    ("POST", "/goals/5", {**dict.fromkeys(ACTORS, 403), "owner": 201}),
    ("PATCH", "/goals/{gid}", {**dict.fromkeys(ACTORS, 403), "owner": 200}),
    ("DELETE", "/goals/{gid}", {**dict.fromkeys(ACTORS, 403), "owner": 204}),
    ("GET", "/goals/5/metricsProgress/distance", {**dict.fromkeys(ACTORS, 403), "owner": 200,
                                                  "admin": 200, "admin with the owner's id": 200}),
]  # fmt: skip

CASES = [
    (method, path, actor, status)
    for method, path, expected in MATRIX
    for actor, status in expected.items()
]


async def call(client: Client, method: str, path: str, headers: Headers) -> Any:
    body = (
        {**new_goal(), "title": "Hijacked", "progress": "3"}
        if method in ("POST", "PATCH")
        else None
    )
    return await client.request(method, path, json=body, headers=headers)


@pytest.mark.parametrize(("method", "path", "actor", "status"), CASES)
async def test_authorization_matrix(
    client: Client, method: str, path: str, actor: str, status: int
) -> None:
    goal = await create_goal(client, user_id=5)
    response = await call(client, method, path.format(gid=goal["id"]), ACTORS[actor]())
    assert response.status_code == status, response.text
    if status == 403:
        assert response.json()["detail"]
        remaining = (await client.get("/goals/5", headers=user(5))).json()
        assert [(g["title"], g["progress"]) for g in remaining] == [("Run", 0)]  # nothing changed


BAD_TOKENS: dict[str, Headers] = {
    "missing": {},
    "empty": {"Authorization": ""},
    "not bearer": {"Authorization": "Token abc"},
    "garbage": {"Authorization": "Bearer not.a.jwt"},
}


@pytest.mark.parametrize("bad", list(BAD_TOKENS))
@pytest.mark.parametrize(("method", "path"), [(m, p) for m, p, _ in MATRIX])
async def test_missing_or_bad_token_is_401_before_anything_else(
    client: Client, method: str, path: str, bad: str
) -> None:
    # Even with an unknown goal id and a body that would not validate.
    response = await client.request(
        method, path.format(gid=123), json={"objective": "x"}, headers=BAD_TOKENS[bad]
    )
    assert response.status_code == 401, response.text
    assert response.json()["detail"]


async def test_a_tampered_signature_is_401(client: Client) -> None:
    header, claims, signature = token("user", 5).split(".")
    forged = f"{header}.{claims}.{signature[::-1]}"
    response = await client.get("/goals/5", headers={"Authorization": f"Bearer {forged}"})
    assert response.status_code == 401


async def test_blocked_users_tokens_stop_working(client: Client, redis: Redis) -> None:
    assert (await client.get("/goals/5", headers=user(5))).status_code == 200
    await redis.sadd("fiufit:blocked_users", 5)
    response = await client.get("/goals/5", headers=user(5))
    assert response.status_code == 401 and response.json()["detail"] == "User is blocked"
    assert (await client.get("/goals/6", headers=user(6))).status_code == 200


async def test_the_first_request_sees_the_blocked_set_whatever_its_cache_age(
    redis: Redis,
) -> None:
    """A fresh app has not fetched the set yet: that is stale, not fresh, even for a max age
    longer than the machine's uptime (monotonic time starts near zero)."""
    await redis.sadd("fiufit:blocked_users", 5)
    fresh = create_app(make_settings(blocked_users_max_age=1e9))
    async with AsyncTestClient(app=fresh) as client:
        response = await client.get("/goals/5", headers=user(5))
    assert response.status_code == 401
    assert response.json()["detail"] == "User is blocked"


@pytest.mark.parametrize("actor", ["owner", "other user", "admin"])
async def test_unknown_goal_is_404_for_any_authenticated_caller(client: Client, actor: str) -> None:
    for method in ("PATCH", "DELETE"):
        response = await call(client, method, "/goals/424242", ACTORS[actor]())
        assert response.status_code == 404, (method, response.text)
        assert response.json() == {"detail": "No such goal"}


@pytest.mark.parametrize("actor", ["other user", "admin", "admin with the owner's id"])
async def test_only_the_owner_changes_or_deletes_a_goal(client: Client, actor: str) -> None:
    goal = await create_goal(client, user_id=5)
    path = f"/goals/{goal['id']}"
    for method, detail in (
        ("PATCH", "Only the goal's owner may change it"),
        ("DELETE", "Only the goal's owner may delete it"),
    ):
        response = await call(client, method, path, ACTORS[actor]())
        assert response.status_code == 403, (method, response.text)
        assert response.json() == {"detail": detail}


@pytest.mark.parametrize("path", ["/goals/abc", "/goals/1.5", "/goals/abc/metricsProgress/fat"])
async def test_non_numeric_ids_are_404(client: Client, path: str) -> None:
    assert (await client.get(path, headers=user())).status_code == 404


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/goals/99999999999999999999"),
        ("POST", "/goals/99999999999999999999"),
        ("PATCH", "/goals/99999999999999999999"),
        ("DELETE", "/goals/99999999999999999999"),
        ("GET", "/goals/-99999999999999999999/metricsProgress/fat"),
        ("GET", "/goals/5/metricsProgress/%00"),
    ],
)
async def test_ids_beyond_a_bigint_and_nul_bytes_are_400(
    client: Client, method: str, path: str
) -> None:
    response = await call(client, method, path, user())
    assert response.status_code == 400, response.text


async def test_edits_and_deletes_are_scoped_to_the_owner_in_the_sql(client: Client) -> None:
    """Defence in depth: even without the route's owner check, the repository's SQL only
    reaches the acting user's own goal (another user's id finds nothing)."""
    goal = await create_goal(client, user_id=5)
    conn = await asyncpg.connect(DATABASE_URL)
    try:
        async with conn.transaction():
            assert await repository.lock(conn, goal["id"], 6) is None
            assert await repository.lock(conn, goal["id"], 5) is not None
        assert await repository.delete(conn, goal["id"], 6) is None
    finally:
        await conn.close()
    remaining = (await client.get("/goals/5", headers=user(5))).json()
    assert [g["title"] for g in remaining if g["id"] == goal["id"]] == ["Run"]
    deleted = await client.delete(f"/goals/{goal['id']}", headers=user(5))
    assert deleted.status_code == 204, deleted.text

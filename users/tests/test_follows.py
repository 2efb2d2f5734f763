"""Follow, unfollow, followed and followers."""

from typing import Any

import asyncpg
import msgspec

from tests.helpers import Actor, Client, outbox_metrics


async def test_follow_and_unfollow(client: Client, make_actor: Any, db: asyncpg.Pool) -> None:
    athlete: Actor = await make_actor()
    trainer: Actor = await make_actor(is_athlete=False)
    other: Actor = await make_actor()
    follow = f"/users/{athlete.id}/followed/{trainer.id}"
    response = await client.post(follow, headers=athlete.headers)
    assert response.status_code == 200, response.text
    assert [u["id"] for u in response.json()] == [trainer.id]
    twice = await client.post(follow, headers=athlete.headers)
    assert twice.status_code == 200 and [u["id"] for u in twice.json()] == [trainer.id]
    await client.post(f"/users/{other.id}/followed/{trainer.id}", headers=other.headers)

    followers = await client.get(f"/users/{trainer.id}/followers", headers=athlete.headers)
    assert [u["id"] for u in followers.json()] == [athlete.id, other.id]
    assert followers.json()[0] == msgspec.to_builtins(athlete.user)
    followed = await client.get(f"/users/{athlete.id}/followed", headers=trainer.headers)
    assert [u["id"] for u in followed.json()] == [trainer.id]

    gone = await client.delete(follow, headers=athlete.headers)
    assert gone.status_code == 200 and gone.json() == []
    again = await client.delete(follow, headers=athlete.headers)
    assert again.status_code == 200
    followers = await client.get(f"/users/{trainer.id}/followers", headers=athlete.headers)
    assert [u["id"] for u in followers.json()] == [other.id]
    metrics = [m for m, _ in await outbox_metrics(db)]
    assert metrics.count("user_followed_count") == 2
    assert metrics.count("user_unfollowed_count") == 1


async def test_follow_matrix(client: Client, make_actor: Any, admin_headers: Any) -> None:
    me: Actor = await make_actor()
    other: Actor = await make_actor()
    target: Actor = await make_actor()
    path = f"/users/{me.id}/followed/{target.id}"
    for method in ("POST", "DELETE"):
        assert (await client.request(method, path)).status_code == 401
        assert (await client.request(method, path, headers=other.headers)).status_code == 403
        assert (await client.request(method, path, headers=admin_headers)).status_code == 403
        assert (await client.request(method, path, headers=me.headers)).status_code == 200
    for listing in ("followed", "followers"):
        url = f"/users/{me.id}/{listing}"
        assert (await client.get(url)).status_code == 401
        for headers in (me.headers, other.headers, admin_headers):
            assert (await client.get(url, headers=headers)).status_code == 200


async def test_follow_errors(client: Client, make_actor: Any) -> None:
    me: Actor = await make_actor()
    yourself = await client.post(f"/users/{me.id}/followed/{me.id}", headers=me.headers)
    assert yourself.status_code == 400
    assert yourself.json()["detail"] == "User can't follow himself"
    unknown = await client.post(f"/users/{me.id}/followed/99999999", headers=me.headers)
    assert unknown.status_code == 404
    for listing in ("followed", "followers"):
        response = await client.get(f"/users/99999999/{listing}", headers=me.headers)
        assert response.status_code == 404
    bad = await client.post(f"/users/{me.id}/followed/abc", headers=me.headers)
    assert bad.status_code in (400, 404, 405)


async def test_followers_and_followed_pages(client: Client, make_actor: Any) -> None:
    star: Actor = await make_actor(is_athlete=False)
    fans: list[Actor] = [await make_actor() for _ in range(5)]
    for fan in fans:
        response = await client.post(f"/users/{fan.id}/followed/{star.id}", headers=fan.headers)
        assert response.status_code == 200, response.text
    for other in fans[1:4]:
        await client.post(f"/users/{fans[0].id}/followed/{other.id}", headers=fans[0].headers)

    async def ids(path: str, **params: Any) -> list[int]:
        response = await client.get(path, params=params, headers=star.headers)
        assert response.status_code == 200, response.text
        return [u["id"] for u in response.json()]

    followers = f"/users/{star.id}/followers"
    assert await ids(followers) == [f.id for f in fans]  # no limit: the whole list, as in 2023
    assert await ids(followers, limit=2) == [f.id for f in fans[:2]]
    assert await ids(followers, offset=2, limit=2) == [f.id for f in fans[2:4]]
    assert await ids(followers, offset=3) == [f.id for f in fans[3:]]
    assert await ids(followers, offset=5, limit=2) == []
    assert await ids(followers, limit=10**5) == [f.id for f in fans]  # cut down to 100
    followed = f"/users/{fans[0].id}/followed"
    assert await ids(followed) == [star.id] + [f.id for f in fans[1:4]]
    assert await ids(followed, offset=1, limit=2) == [f.id for f in fans[1:3]]
    assert await ids(f"/users/{fans[4].id}/followers") == []  # known, followed by nobody

    missing = await client.get("/users/99999999/followers?limit=2", headers=star.headers)
    assert missing.status_code == 404
    for params in ({"limit": 0}, {"offset": -1}, {"limit": "ten"}):
        bad = await client.get(followers, params=params, headers=star.headers)
        assert bad.status_code == 400, params

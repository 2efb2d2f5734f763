"""F5 (find people, nearby trainers, follow and unfollow), F6 (goals with progress and the
four-metric dashboard) and F8.1 (profile edit, which can never unblock or change role)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fiufit_e2e.api import Account, Gateway, poll, today


def _ids(response: Any) -> list[int]:
    assert response.status_code == 200, response.text
    return [user["id"] for user in response.json()]


def test_f5_find_nearby_follow_unfollow(gw: Gateway, trainer: Account, athlete: Account) -> None:
    # 1. By username: one object with the id (and the image, when there is one).
    found = gw.get("/users", params={"username": trainer.username}, headers=athlete.auth)
    assert found.status_code == 200, found.text
    assert found.json()["id"] == trainer.id
    assert found.json()["image"]
    # 2. Trainers near the trainer's registered point.
    assert trainer.coordinates is not None
    lon, lat = trainer.coordinates
    near = gw.get(
        "/users",
        params={"latitude": str(lat), "longitude": str(lon), "radius": "1000"},
        headers=athlete.auth,
    )
    assert near.status_code == 200, near.text
    page = near.json()
    assert set(page) >= {"items", "total", "page", "size", "pages"}
    # Nearest first: the trainer registered exactly at this point comes first.
    assert page["items"], page
    assert page["items"][0]["id"] == trainer.id
    assert all(u["is_athlete"] is False for u in page["items"])
    assert athlete.id not in [u["id"] for u in page["items"]]
    # Far away (Córdoba), nobody from this run.
    far = gw.get(
        "/users",
        params={"latitude": -31.4201, "longitude": -64.1888, "radius": 1000},
        headers=athlete.auth,
    )
    assert far.status_code == 200
    assert trainer.id not in [u["id"] for u in far.json()["items"]]
    # 3. Public profile: do I follow them?
    followed = f"/users/{athlete.id}/followed"
    assert trainer.id not in _ids(gw.get(followed, headers=athlete.auth))
    # 4. Follow.
    follow = gw.post(f"{followed}/{trainer.id}", headers=athlete.auth)
    assert 200 <= follow.status_code < 300, follow.text
    assert trainer.id in _ids(gw.get(followed, headers=athlete.auth))
    followers = f"/users/{trainer.id}/followers"
    assert athlete.id in _ids(gw.get(followers, headers=trainer.auth))
    # 5. Unfollow.
    unfollow = gw.delete(f"{followed}/{trainer.id}", headers=athlete.auth)
    assert 200 <= unfollow.status_code < 300, unfollow.text
    assert trainer.id not in _ids(gw.get(followed, headers=athlete.auth))
    assert athlete.id not in _ids(gw.get(followers, headers=trainer.auth))


def test_nobody_follows_themself(gw: Gateway, athlete: Account) -> None:
    response = gw.post(f"/users/{athlete.id}/followed/{athlete.id}", headers=athlete.auth)
    assert response.status_code == 400, response.text


def test_f6_goals_progress_and_dashboard(gw: Gateway, athlete: Account) -> None:
    auth = athlete.auth
    # 1. The catalogue.
    catalogue = gw.get("/goals/metrics", headers=auth)
    assert catalogue.status_code == 200
    units = {m["name"]: m["unit"] for m in catalogue.json()}
    assert {"distance", "fat", "muscle", "steps"} <= set(units)
    assert units["distance"] == "km"

    def dashboard() -> dict[str, float]:
        values = {}
        for metric in ("distance", "fat", "muscle", "steps"):
            response = gw.get(
                f"/goals/{athlete.id}/metricsProgress/{metric}", params={"days": 7}, headers=auth
            )
            assert response.status_code == 200, (metric, response.text)
            values[metric] = response.json()["progress"]
        return values

    before = dashboard()
    # 2. Create as the app does.
    created = gw.post(
        f"/goals/{athlete.id}",
        headers=auth,
        json={
            "title": "Run",
            "description": "Run 10k",
            "metric": "distance",
            "objective": "10",
            "time_limit": (today() + dt.timedelta(days=3)).isoformat(),
            "image": None,
        },
    )
    assert created.status_code in (200, 201), created.text
    # 3. Listed with progress 0 and the unit.
    goals = gw.get(f"/goals/{athlete.id}", headers=auth)
    assert goals.status_code == 200
    goal = next(g for g in goals.json() if g["title"] == "Run" and g["progress"] == 0)
    assert goal["unit"] == "km"
    assert goal["objective"] == 10
    gid = goal["id"]
    # 4. The whole card back, progress "4", time_limit "".
    card = dict(goal, progress="4", objective="10", time_limit="")
    patched = gw.patch(f"/goals/{gid}", headers=auth, json=card)
    assert patched.status_code == 200, patched.text
    # 5. The dashboard: four calls, distance moved by 4.
    after = dashboard()
    assert after["distance"] == before["distance"] + 4
    assert after["fat"] == before["fat"]
    assert after["steps"] == before["steps"]
    listed = {g["id"]: g for g in gw.get(f"/goals/{athlete.id}", headers=auth).json()}
    assert listed[gid]["progress"] == 4
    assert listed[gid]["time_limit"] == goal["time_limit"]
    assert listed[gid]["completed"] is False
    # Empty progress field: the app sends the number 0, which leaves it alone.
    same = gw.patch(f"/goals/{gid}", headers=auth, json=dict(card, progress=0))
    assert same.status_code == 200, same.text
    assert {g["id"]: g for g in gw.get(f"/goals/{athlete.id}", headers=auth).json()}[gid][
        "progress"
    ] == 4
    # 6. Completed.
    done = gw.patch(f"/goals/{gid}", headers=auth, json=dict(card, progress="10"))
    assert done.status_code == 200, done.text
    goals_now = gw.get(f"/goals/{athlete.id}", headers=auth).json()
    assert goals_now[0]["id"] == gid  # completed goals first
    assert goals_now[0]["completed"] is True
    assert dashboard()["distance"] == before["distance"] + 10
    # 7. Delete.
    deleted = gw.delete(f"/goals/{gid}", headers=auth)
    assert 200 <= deleted.status_code < 300, deleted.text
    assert gid not in [g["id"] for g in gw.get(f"/goals/{athlete.id}", headers=auth).json()]


def test_goal_with_image_comes_back_inline(gw: Gateway, other_athlete: Account) -> None:
    from fiufit_e2e.api import png

    image = png(2, 2, (0, 0, 255))
    created = gw.post(
        f"/goals/{other_athlete.id}",
        headers=other_athlete.auth,
        json={
            "title": "Muscle",
            "description": "Gain",
            "metric": "muscle",
            "objective": "2",
            "time_limit": today().isoformat(),
            "image": image,
        },
    )
    assert created.status_code == 201, created.text
    listed = gw.get(f"/goals/{other_athlete.id}", headers=other_athlete.auth).json()
    assert any(g["image"] == image for g in listed)


def test_unknown_dashboard_metric_is_404(gw: Gateway, athlete: Account) -> None:
    response = gw.get(f"/goals/{athlete.id}/metricsProgress/calories?days=7", headers=athlete.auth)
    assert response.status_code == 404


def test_f8_profile_edit_ignores_what_it_may_not_set(gw: Gateway, places: list[Any]) -> None:
    account = gw.new_account(is_athlete=True, prefix="prof_")
    auth = account.auth
    profile = gw.get(f"/users/{account.id}", headers=auth).json()
    body = {k: v for k, v in profile.items() if k != "email"}
    body.update(
        name="Renamed",
        location=places[10]["location"],
        coordinates=places[10]["coordinates"],
        height="1.9",
        weight="80",
        id=account.id + 1,
        is_athlete=False,
        is_blocked=True,
        registration_date="2000-01-01",
    )
    patched = gw.patch(f"/users/{account.id}", headers=auth, json=body)
    assert patched.status_code == 200, patched.text
    now = gw.get(f"/users/{account.id}", headers=auth)
    assert now.status_code == 200
    assert now.json()["name"] == "Renamed"
    assert now.json()["location"] == places[10]["location"]
    assert now.json()["height"] == 1.9
    assert now.json()["weight"] == 80
    assert now.json()["id"] == account.id
    assert now.json()["is_athlete"] is True
    assert now.json()["is_blocked"] is False
    assert now.json()["registration_date"] == profile["registration_date"]
    assert now.json()["email"] == account.email


def test_profile_edit_cannot_unblock(
    gw: Gateway, admin_auth: dict[str, str], athlete: Account
) -> None:
    """A blocked user's PATCH with is_blocked false is refused (401), and they stay blocked."""
    account = gw.new_account(is_athlete=True, prefix="unbl_")
    blocked = gw.patch(f"/users/status/{account.id}", headers=admin_auth)
    assert blocked.status_code == 200, blocked.text
    try:
        profile = gw.get(f"/users/{account.id}", headers=admin_auth).json()
        assert profile["is_blocked"] is True
        body = {k: v for k, v in profile.items() if k != "email"}
        body["is_blocked"] = False
        # Right after the block the token may still be honoured for a few seconds (the
        # blocked set propagates), but the edit never unblocks.
        attempt = gw.patch(f"/users/{account.id}", headers=account.auth, json=body)
        assert attempt.status_code in (200, 401), attempt.text
        assert gw.get(f"/users/{account.id}", headers=admin_auth).json()["is_blocked"] is True
        poll(
            lambda: gw.get(f"/users/{account.id}", headers=account.auth).status_code,
            lambda status: status == 401,
            timeout=30,
            what="the blocked user's token to be refused",
        )
        attempt = gw.patch(f"/users/{account.id}", headers=account.auth, json=body)
        assert attempt.status_code == 401, attempt.text
        assert gw.get(f"/users/{account.id}", headers=admin_auth).json()["is_blocked"] is True
        # Even an admin's profile PATCH does not unblock: only the status toggle does.
        by_admin = gw.patch(f"/users/{account.id}", headers=admin_auth, json=body)
        assert by_admin.status_code == 200, by_admin.text
        assert gw.get(f"/users/{account.id}", headers=admin_auth).json()["is_blocked"] is True
    finally:
        gw.patch(f"/users/status/{account.id}", headers=admin_auth)
    assert gw.get(f"/users/{account.id}", headers=athlete.auth).json()["is_blocked"] is False

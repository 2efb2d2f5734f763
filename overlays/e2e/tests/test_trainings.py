"""F2 (trainer creates and edits a training, with media; the trainer's own search) and F4
(athlete searches, favourites, rates and un-rates, removes the favourite)."""

from __future__ import annotations

from typing import Any

from fiufit_e2e.api import Account, Gateway, letters, png


def _create(gw: Gateway, trainer: Account, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "title": "Arm day",
        "description": "Biceps and triceps",
        "type": "Arm",
        "difficulty": "Easy",
        "media": png(),
        "exercises": [
            {"name": "Bicep curl", "type": "Arm", "unit": None, "count": 10, "series": 3},
            {"name": "Tricep dips", "type": "Arm", "unit": None, "count": "12", "series": "3"},
        ],
        "trainer_id": str(trainer.id),
    }
    body.update(overrides)
    response = gw.post("/trainings", headers=trainer.auth, json=body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def test_catalogues(gw: Gateway) -> None:
    types = gw.get("/trainings/types/").json()["items"]
    assert {"Cardio", "Leg", "Arm", "Chest", "Back", "Abdomen"} <= set(types)
    exercises = gw.get("/trainings/exercises/").json()["items"]
    assert all(set(item) >= {"name", "type", "unit"} for item in exercises)
    assert {"Bicep curl", "Tricep dips"} <= {e["name"] for e in exercises if e["type"] == "Arm"}


def test_f2_trainer_creates_and_edits_a_training(gw: Gateway, trainer: Account) -> None:
    title = "Arms " + letters(10)
    created = _create(gw, trainer, title=title)
    assert created["trainer_id"] == str(trainer.id)
    assert created["type"] == "Arm"
    assert created["difficulty"] == "Easy"
    assert created["media"]
    assert created["blocked"] is False
    assert [e["name"] for e in created["exercises"]] == ["Bicep curl", "Tricep dips"]
    assert created["exercises"][1]["count"] == 12
    tid = created["id"]
    # 5. The trainer's list.
    mine = gw.get("/trainings", params={"trainer_id": trainer.id}, headers=trainer.auth)
    assert mine.status_code == 200
    assert tid in [t["id"] for t in mine.json()["items"]]
    # 6. Edit as the app does (media null keeps the image), then a new image.
    edited = gw.patch(
        f"/trainings/{tid}",
        headers=trainer.auth,
        json={"title": title + "s", "description": "Biceps only", "media": None},
    )
    assert edited.status_code == 200, edited.text
    again = gw.get(f"/trainings/{tid}")
    assert 200 <= again.status_code < 300
    assert again.json()["title"] == title + "s"
    assert again.json()["description"] == "Biceps only"
    assert again.json()["media"] == created["media"]
    new_media = png(3, 3, (10, 200, 10))
    edited = gw.patch(f"/trainings/{tid}", headers=trainer.auth, json={"media": new_media})
    assert edited.status_code == 200, edited.text
    assert gw.get(f"/trainings/{tid}").json()["media"] == new_media
    # 7. The trainer's own search: by title prefix, and by type and difficulty.
    by_title = gw.get("/trainings", params={"trainer_id": trainer.id, "title": title[:8]})
    assert [t["id"] for t in by_title.json()["items"]] == [tid]
    by_type = gw.get(
        "/trainings",
        params={"trainer_id": trainer.id, "training_type": "Arm", "difficulty": "Easy"},
    )
    assert tid in [t["id"] for t in by_type.json()["items"]]
    by_other = gw.get(
        "/trainings",
        params={"trainer_id": trainer.id, "training_type": "Leg", "difficulty": "Easy"},
    )
    assert tid not in [t["id"] for t in by_other.json()["items"]]


def test_training_media_is_validated(gw: Gateway, trainer: Account) -> None:
    response = gw.post(
        "/trainings",
        headers=trainer.auth,
        json={
            "title": "Bad media",
            "description": "Not an image",
            "type": "Cardio",
            "difficulty": "Hard",
            "media": "bm90IGFuIGltYWdl",
            "exercises": [],
            "trainer_id": str(trainer.id),
        },
    )
    assert response.status_code == 400, response.text


def test_an_athlete_cannot_create_a_training(gw: Gateway, athlete: Account) -> None:
    response = gw.post(
        "/trainings",
        headers=athlete.auth,
        json={
            "title": "Nope",
            "description": "Nope",
            "type": "Arm",
            "difficulty": "Easy",
            "media": None,
            "exercises": [],
            "trainer_id": str(athlete.id),
        },
    )
    assert response.status_code == 403, response.text


def test_f4_athlete_searches_favourites_rates_and_unrates(
    gw: Gateway, trainer: Account, athlete: Account, other_athlete: Account
) -> None:
    prefix = "Fav " + letters(10)
    training = _create(
        gw,
        trainer,
        title=prefix + " legs",
        type="Leg",
        difficulty="Medium",
        media=None,
        exercises=[{"name": "Squat", "type": "Leg", "unit": None, "count": 15, "series": 4}],
    )
    tid = training["id"]
    # 1-2. Search without a token, by difficulty and type, and by title prefix.
    assert gw.get("/trainings/types/").status_code == 200
    found = gw.get("/trainings", params={"training_type": "Leg", "difficulty": "Medium"})
    assert found.status_code == 200
    page = found.json()
    assert set(page) >= {"items", "offset", "limit", "count"}
    assert page["limit"] == 10
    by_title = gw.get("/trainings", params={"title": prefix.lower()})
    assert [t["id"] for t in by_title.json()["items"]] == [tid]
    item = by_title.json()["items"][0]
    assert set(item) >= {
        "id",
        "title",
        "description",
        "type",
        "difficulty",
        "media",
        "rating",
        "exercises",
        "blocked",
        "trainer_id",
    }
    # 3-4. Favourite it (twice → 409).
    fav_path = f"/users/{athlete.id}/trainings"
    assert tid not in [t["id"] for t in gw.get(fav_path).json()["items"]]
    added = gw.post(fav_path, headers=athlete.auth, json={"training_id": tid})
    assert 200 <= added.status_code < 300, added.text
    twice = gw.post(fav_path, headers=athlete.auth, json={"training_id": str(tid)})
    assert twice.status_code == 409, twice.text
    # 5. Home: the favourite, and no rating yet.
    favourites = gw.get(fav_path)
    assert tid in [t["id"] for t in favourites.json()["items"]]
    assert gw.get(f"{fav_path}/{tid}/rating").status_code == 404
    # 6. Rate 4 → the training's rating follows; a second athlete rates 5 → mean 5 (half up).
    rated = gw.put(f"{fav_path}/{tid}", headers=athlete.auth, json={"rate": 4})
    assert 200 <= rated.status_code < 300, rated.text
    assert gw.get(f"{fav_path}/{tid}/rating").json()["rate"] == 4
    assert gw.get(f"/trainings/{tid}").json()["rating"] == 4
    other = gw.put(
        f"/users/{other_athlete.id}/trainings/{tid}",
        headers=other_athlete.auth,
        json={"rate": "5"},
    )
    assert 200 <= other.status_code < 300, other.text
    assert gw.get(f"/trainings/{tid}").json()["rating"] == 5
    # 7. The same star again: rate 0 clears my rating.
    cleared = gw.put(f"{fav_path}/{tid}", headers=athlete.auth, json={"rate": 0})
    assert 200 <= cleared.status_code < 300, cleared.text
    assert gw.get(f"{fav_path}/{tid}/rating").status_code == 404
    assert gw.get(f"/trainings/{tid}").json()["rating"] == 5
    assert gw.put(f"{fav_path}/{tid}", headers=athlete.auth, json={"rate": 6}).status_code == 400
    # 8. Remove the favourite.
    removed = gw.delete(f"{fav_path}/{tid}", headers=athlete.auth)
    assert 200 <= removed.status_code < 300, removed.text
    assert tid not in [t["id"] for t in gw.get(fav_path).json()["items"]]


def test_a_trainer_cannot_rate_their_own_training(
    gw: Gateway, trainer: Account, training: dict[str, Any]
) -> None:
    response = gw.put(
        f"/users/{trainer.id}/trainings/{training['id']}", headers=trainer.auth, json={"rate": 5}
    )
    assert response.status_code in (400, 403), response.text


def test_favourite_of_an_unknown_training_is_404(gw: Gateway, athlete: Account) -> None:
    response = gw.post(
        f"/users/{athlete.id}/trainings", headers=athlete.auth, json={"training_id": 2_000_000_000}
    )
    assert response.status_code == 404, response.text

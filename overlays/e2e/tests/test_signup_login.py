"""F1 (e-mail sign-up and login), the token re-login, F3 (Google sign-in for an unknown account,
then registration), F8.2 (password recovery with the bare-string body)."""

from __future__ import annotations

import json
from typing import Any

from fiufit_e2e.api import PASSWORD, Gateway, bearer, google_credential, png, today, unique


def test_f1_email_sign_up_login_and_start_up(gw: Gateway) -> None:
    # 1. The location picker (no token).
    locations = gw.get("/users/locations/")
    assert locations.status_code == 200
    place = locations.json()[3]
    assert set(place) >= {"location", "coordinates"}
    # 2. The wizard's single call, with the wizard's own types and extras.
    handle = unique("f1_")
    body = {
        "email": f"{handle}@e2e.example.com",
        "password": PASSWORD,
        "name": "Lucía",
        "surname": "Gómez",
        "username": handle,
        "location": place["location"],
        "coordinates": place["coordinates"],
        "is_athlete": True,
        "height": "1.68",
        "weight": "61",
        "birth_date": "1999-02-03",
        "registration_date": today().isoformat(),
        "image": png(),
        "confirm_password": PASSWORD,
    }
    created = gw.post("/users", json=body)
    assert created.status_code in (200, 201), created.text
    # 3. No auto-login: the app logs in.
    login = gw.post("/users/login", json={"email": body["email"], "password": PASSWORD})
    assert login.status_code == 200, login.text
    session = login.json()
    assert set(session) >= {"token", "id"}
    assert isinstance(session["id"], int)
    auth = bearer(session["token"])
    # 4. Who am I.
    me = gw.get(f"/users/{session['id']}", headers=auth)
    assert me.status_code == 200, me.text
    profile = me.json()
    assert profile["username"] == handle
    assert profile["is_athlete"] is True
    assert profile["is_blocked"] is False
    assert profile["height"] == 1.68
    assert profile["weight"] == 61
    assert profile["location"] == place["location"]
    assert profile["birth_date"] == "1999-02-03"
    # 5. Start-up: avatar by username (one object, with the image), types, favourites.
    avatar = gw.get("/users", params={"username": handle}, headers=auth)
    assert avatar.status_code == 200, avatar.text
    assert avatar.json()["id"] == session["id"]
    assert avatar.json()["image"]
    assert gw.get("/trainings/types/").status_code == 200
    favourites = gw.get(f"/users/{session['id']}/trainings")
    assert favourites.status_code == 200
    assert favourites.json()["items"] == []
    assert favourites.json()["count"] == 0


def test_unknown_username_is_404(gw: Gateway, athlete: Any) -> None:
    response = gw.get("/users", params={"username": unique("nobody_")}, headers=athlete.auth)
    assert response.status_code == 404


def test_duplicate_email_and_username_are_refused(gw: Gateway, athlete: Any) -> None:
    again = Gateway.signup_body(email=athlete.email, username=unique("dup_"), is_athlete=True)
    response = gw.post("/users", json=again)
    assert response.status_code in (400, 409), response.text
    assert "detail" in response.json()
    again = Gateway.signup_body(
        email=f"{unique('dup')}@e2e.example.com", username=athlete.username, is_athlete=True
    )
    response = gw.post("/users", json=again)
    assert response.status_code in (400, 409), response.text


def test_wrong_password_is_401(gw: Gateway, athlete: Any) -> None:
    response = gw.post("/users/login", json={"email": athlete.email, "password": "wrong-pass"})
    assert response.status_code == 401
    assert response.json()["detail"]


def test_bearer_re_login(gw: Gateway, athlete: Any) -> None:
    """The 2023 token re-login: a valid Bearer and no credentials gives a fresh token."""
    response = gw.post("/users/login", headers=athlete.auth, json={})
    assert response.status_code == 200, response.text
    assert response.json()["id"] == athlete.id
    fresh = bearer(response.json()["token"])
    assert gw.get(f"/users/{athlete.id}", headers=fresh).status_code == 200
    # The app's login screen through the shared axios instance: a stored Bearer plus the
    # credentials typed in.
    both = gw.post(
        "/users/login",
        headers=athlete.auth,
        json={"email": athlete.email, "password": athlete.password},
    )
    assert both.status_code == 200, both.text
    assert both.json()["id"] == athlete.id


def test_bad_bearer_is_401(gw: Gateway, athlete: Any) -> None:
    response = gw.get(f"/users/{athlete.id}", headers=bearer("not-a-jwt"))
    assert response.status_code == 401
    tampered = athlete.token[:-4] + ("AAAA" if not athlete.token.endswith("AAAA") else "BBBB")
    response = gw.get(f"/users/{athlete.id}", headers=bearer(tampered))
    assert response.status_code == 401


def test_f3_google_sign_in_unknown_then_registered(gw: Gateway) -> None:
    handle = unique("g_")
    email = f"{handle}@e2e.example.com"
    credential = google_credential(email)
    header = {"Authorization": credential}  # raw, no "Bearer "
    # 1. Unknown account: the exact 404 the app keys registration on.
    unknown = gw.post("/users/login/usersIDP", json={"email": email}, headers=header)
    assert unknown.status_code == 404, unknown.text
    assert unknown.json()["detail"]["message"] == "No IDP user with such an email"
    # 2. Registration: password "" and the google_token the client forgets to delete.
    place = gw.get("/users/locations/").json()[7]
    body = Gateway.signup_body(
        email=email, username=handle, is_athlete=True, password="", location=place
    )
    body["google_token"] = credential
    body["height"] = "1.8"
    body["weight"] = "75"
    created = gw.post("/users/usersIDP", json=body, headers=header)
    assert created.status_code in (200, 201), created.text
    # 3. Step 2 again: now a FiuFit token.
    login = gw.post("/users/login/usersIDP", json={"email": email}, headers=header)
    assert login.status_code == 200, login.text
    session = login.json()
    me = gw.get(f"/users/{session['id']}", headers=bearer(session["token"]))
    assert me.status_code == 200
    assert me.json()["username"] == handle
    assert me.json()["email"] == email
    # The Google account has no password: e-mail login with "" fails cleanly.
    assert gw.post("/users/login", json={"email": email, "password": ""}).status_code in (
        400,
        401,
    )


def test_google_credential_for_another_email_is_refused(gw: Gateway) -> None:
    email = f"{unique('g_')}@e2e.example.com"
    header = {"Authorization": google_credential(f"{unique('other_')}@e2e.example.com")}
    response = gw.post("/users/login/usersIDP", json={"email": email}, headers=header)
    assert response.status_code in (401, 403, 404), response.text
    assert response.status_code != 200


def test_google_sign_up_without_credential_is_refused(gw: Gateway) -> None:
    handle = unique("g_")
    body = Gateway.signup_body(
        email=f"{handle}@e2e.example.com", username=handle, is_athlete=True, password=""
    )
    response = gw.post("/users/usersIDP", json=body)
    assert response.status_code in (400, 401), response.text


def test_f8_password_recovery_bare_string_body(gw: Gateway, athlete: Any) -> None:
    response = gw.post(
        "/users/recovery/user_test",
        content=json.dumps(athlete.username),
        headers={"Content-Type": "application/json"},
    )
    assert 200 <= response.status_code < 300, response.text
    response.json()  # the back office and app need a parseable body (or 204)

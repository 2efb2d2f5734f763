import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest

from tests.helpers import (
    EMULATOR,
    PROJECT,
    Client,
    client_with_env,
    create_account,
    lookup_account,
    unique_email,
)


def google_credential(email: str, sub: str = "g-1", verified: bool = True) -> str:
    """What the Firebase Auth emulator accepts as a Google id_token: unsigned JSON."""
    return json.dumps({"sub": sub, "email": email, "email_verified": verified})


async def google_sign_in(
    client: Client, email: str, sub: str, body: dict[str, str] | None = None
) -> httpx.Response:
    """Sign in with the emulator's Google credential for ``email``; ``body`` as the app sends it."""
    credential = google_credential(email, sub=sub)
    return await client.post(
        "/auth/accounts/login/google", json=body or {}, headers={"Authorization": credential}
    )


async def reset_codes_for(email: str) -> list[dict[str, str]]:
    async with httpx.AsyncClient() as http:
        response = await http.get(f"{EMULATOR}/emulator/v1/projects/{PROJECT}/oobCodes")
    return [c for c in response.json()["oobCodes"] if c["email"] == email]


async def test_create_then_login(client: Client, accounts_to_delete: list[str]) -> None:
    email = unique_email()
    uid = await create_account(client, accounts_to_delete, email, "secret-pass")
    response = await client.post(
        "/auth/accounts/login", json={"email": email, "password": "secret-pass"}
    )
    assert response.status_code == 200
    assert response.json() == {"id": uid, "email": email}


async def test_special_use_domains_such_as_the_local_admin_are_accepted(
    client: Client, accounts_to_delete: list[str]
) -> None:
    email = f"admin-{uuid.uuid4().hex[:8]}@fiufit.local"
    await create_account(client, accounts_to_delete, email, "fiufit-admin")
    login = await client.post(
        "/auth/accounts/login", json={"email": email, "password": "fiufit-admin"}
    )
    assert login.status_code == 200


async def test_duplicate_email_is_409(client: Client, email: str) -> None:
    response = await client.post("/auth/accounts", json={"email": email, "password": "other-pass"})
    assert response.status_code == 409
    assert response.json()["detail"] == "User with that email already present"


@pytest.mark.parametrize(
    "body",
    [
        {"email": "not-an-email", "password": "secret-pass"},
        {"email": "a@b.co", "password": "12345"},
        {"email": "a@b.co"},
        {"password": "secret-pass"},
        {"email": 5, "password": "secret-pass"},
    ],
)
async def test_invalid_account_data_is_400(client: Client, body: dict[str, object]) -> None:
    response = await client.post("/auth/accounts", json=body)
    assert response.status_code == 400
    assert response.json()["detail"]


async def test_wrong_password_and_unknown_email_look_the_same(client: Client, email: str) -> None:
    wrong = await client.post("/auth/accounts/login", json={"email": email, "password": "nope!!"})
    unknown = await client.post(
        "/auth/accounts/login", json={"email": unique_email(), "password": "secret-pass"}
    )
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json() == {"detail": "Invalid credentials"}


async def test_disable_revokes_and_enable_restores(
    client: Client, accounts_to_delete: list[str]
) -> None:
    email = unique_email()
    uid = await create_account(client, accounts_to_delete, email, "secret-pass")
    login = {"email": email, "password": "secret-pass"}

    async def valid_since() -> str:
        return str((await lookup_account(uid)).get("validSince", ""))

    before = await valid_since()
    # validSince counts whole seconds: revoke once this clock (the emulator's too) has reached a
    # later second than the account's, or the new value could equal the old one.
    await asyncio.sleep(max(0.0, int(before) + 1 - time.time()))
    response = await client.patch(f"/auth/accounts/{uid}", json={"disabled": True})
    assert response.status_code == 200
    assert response.json() == {"id": uid, "disabled": True}
    refused = await client.post("/auth/accounts/login", json=login)
    assert refused.status_code == 401
    assert refused.json()["detail"] == "User is blocked"
    assert await valid_since() != before  # refresh tokens revoked

    assert (
        await client.patch(f"/auth/accounts/{uid}", json={"disabled": False})
    ).status_code == 200
    assert (await client.post("/auth/accounts/login", json=login)).status_code == 200


async def test_status_and_delete_of_unknown_account_are_404(client: Client) -> None:
    assert (
        await client.patch("/auth/accounts/no-such-uid", json={"disabled": True})
    ).status_code == 404
    assert (await client.delete("/auth/accounts/no-such-uid")).status_code == 404
    assert (await client.patch("/auth/accounts/x", json={"disabled": "maybe"})).status_code == 400


@pytest.mark.parametrize("method", ["PATCH", "DELETE"])
async def test_a_uid_longer_than_firebase_allows_is_400(client: Client, method: str) -> None:
    """It was a 500: the admin SDK refuses a uid over 128 characters before calling Firebase."""
    body = {"disabled": True} if method == "PATCH" else None
    too_long = await client.request(method, f"/auth/accounts/{'u' * 129}", json=body)
    assert too_long.status_code == 400, too_long.text
    longest = await client.request(method, f"/auth/accounts/{'u' * 128}", json=body)
    assert longest.status_code == 404, longest.text


async def test_disabled_is_a_json_boolean(client: Client) -> None:
    response = await client.patch("/auth/accounts/x", json={"disabled": 1})
    assert response.status_code == 400


async def test_a_created_account_is_located(client: Client, accounts_to_delete: list[str]) -> None:
    """The 201 names the account's path (PATCH, DELETE), for clients that follow it."""
    response = await client.post(
        "/auth/accounts", json={"email": unique_email(), "password": "secret-pass"}
    )
    assert response.status_code == 201, response.text
    accounts_to_delete.append(response.json()["id"])
    assert response.headers["location"] == f"/auth/accounts/{response.json()['id']}"


@pytest.mark.parametrize(
    "email",
    ["nul\u0000char@fiufit-test.com", "esc\u001bape@fiufit-test.com", "nel\u0085@fiufit-test.com"],
)
async def test_an_email_with_a_control_character_is_refused_at_sign_up(
    client: Client, email: str
) -> None:
    """The Firebase emulator stored such an address."""
    response = await client.post("/auth/accounts", json={"email": email, "password": "secret-pass"})
    assert response.status_code == 400, response.text


async def test_an_empty_email_is_no_account(client: Client) -> None:
    """A reset for it was a 503 (Firebase answers MISSING_EMAIL): it is nobody's, so 202."""
    reset = await client.post("/auth/accounts/password-reset", json={"email": ""})
    assert reset.status_code == 202, reset.text
    login = await client.post("/auth/accounts/login", json={"email": "", "password": "x"})
    assert login.status_code == 401
    assert login.json() == {"detail": "Invalid credentials"}


async def test_delete_account(client: Client, accounts_to_delete: list[str]) -> None:
    email = unique_email()
    uid = await create_account(client, accounts_to_delete, email, "secret-pass")
    assert (await client.delete(f"/auth/accounts/{uid}")).status_code == 204
    login = await client.post(
        "/auth/accounts/login", json={"email": email, "password": "secret-pass"}
    )
    assert login.status_code == 401


async def test_google_sign_in_returns_the_verified_email(
    client: Client, accounts_to_delete: list[str]
) -> None:
    email = unique_email()
    response = await google_sign_in(client, email, email, {"email": email.upper()})
    assert response.status_code == 200, response.text
    assert response.json()["email"] == email
    accounts_to_delete.append(response.json()["id"])


async def test_google_sign_in_refuses_a_mismatched_email(
    client: Client, accounts_to_delete: list[str]
) -> None:
    email = unique_email()
    response = await google_sign_in(client, email, email, {"email": "someone-else@fiufit-test.com"})
    assert response.status_code == 401
    assert "does not match" in response.json()["detail"]
    lookup = await google_sign_in(client, email, email)
    accounts_to_delete.append(lookup.json()["id"])


@pytest.mark.parametrize("authorization", [None, "", "garbage-credential", "{not json"])
async def test_google_sign_in_without_a_valid_credential_is_401(
    client: Client, authorization: str | None
) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    response = await client.post("/auth/accounts/login/google", json={}, headers=headers)
    assert response.status_code == 401
    assert response.json()["detail"]


async def test_password_reset_sends_a_code_only_to_real_accounts(
    client: Client, email: str
) -> None:
    response = await client.post("/auth/accounts/password-reset", json={"email": email})
    assert response.status_code == 202
    [code] = await reset_codes_for(email)
    assert code["requestType"] == "PASSWORD_RESET"

    stranger = unique_email()
    response = await client.post("/auth/accounts/password-reset", json={"email": stranger})
    assert response.status_code == 202  # no account enumeration
    assert await reset_codes_for(stranger) == []


async def test_accounts_need_the_service_credential(anonymous: Client) -> None:
    body = {"email": unique_email(), "password": "secret-pass"}
    assert (await anonymous.post("/auth/accounts", json=body)).status_code == 401
    assert (await anonymous.post("/auth/accounts/login", json=body)).status_code == 401
    assert (await anonymous.delete("/auth/accounts/x")).status_code == 401


@pytest.fixture
async def firebase_down(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Client]:
    """The same app pointed at a port where nothing listens."""
    async with client_with_env(monkeypatch, "FIREBASE_AUTH_EMULATOR_HOST", "127.0.0.1:9") as client:
        yield client


async def test_firebase_outage_is_503(firebase_down: Client) -> None:
    body = {"email": unique_email(), "password": "secret-pass"}
    assert (await firebase_down.post("/auth/accounts/login", json=body)).status_code == 503
    assert (await firebase_down.post("/auth/accounts/password-reset", json=body)).status_code == 503
    created = await firebase_down.post("/auth/accounts", json=body)
    assert created.status_code == 503, created.text
    # Still ready: tokens and the JWKS that every service verifies with need no Firebase.
    readiness = await firebase_down.get("/auth/readiness/")
    assert readiness.status_code == 200, readiness.text
    assert readiness.json()["degraded"] is True
    assert readiness.json()["checks"]["firebase_auth"] == "unavailable"  # a state, not an error
    assert (await firebase_down.get("/auth/.well-known/jwks.json")).status_code == 200


async def test_google_sign_in_returns_the_firebase_uid_to_match_at_sign_up(
    client: Client, accounts_to_delete: list[str]
) -> None:
    """`id` (and `uid`) is the Firebase localId: the same account on every sign-in, so users can
    match it with the uid stored at sign-up; `is_new_user` says this sign-in created it."""
    email = unique_email()
    headers = {"Authorization": google_credential(email, sub=f"g-{email}")}
    first = await client.post("/auth/accounts/login/google", json={}, headers=headers)
    assert first.status_code == 200, first.text
    accounts_to_delete.append(first.json()["id"])
    assert first.json()["uid"] == first.json()["id"]
    assert first.json()["is_new_user"] is True
    again = await client.post("/auth/accounts/login/google", json={}, headers=headers)
    assert again.status_code == 200
    assert again.json() == {**first.json(), "is_new_user": False}
    assert (await lookup_account(first.json()["uid"]))["email"] == email


async def test_a_credential_cannot_inject_fields_into_the_idp_post_body(
    client: Client, accounts_to_delete: list[str]
) -> None:
    """The credential is URL-encoded into postBody: `&id_token=…` or `&providerId=…` appended to
    it stays part of one (invalid) credential instead of becoming a field of its own."""
    victim = unique_email()
    forged = google_credential(victim, sub=f"g-{victim}")
    for credential in (
        f"not-a-google-access-token&id_token={forged}",
        f"not-a-google-access-token&providerId=google.com&id_token={forged}",
    ):
        response = await client.post(
            "/auth/accounts/login/google", json={}, headers={"Authorization": credential}
        )
        if response.status_code == 200:
            accounts_to_delete.append(response.json()["id"])
        assert response.status_code == 401, response.text


async def test_a_credential_with_url_special_characters_reaches_firebase_intact(
    client: Client, accounts_to_delete: list[str]
) -> None:
    """Unencoded, the `+` of the e-mail arrived at Firebase as a space."""
    email = f"test+{uuid.uuid4().hex[:8]}@fiufit-test.com"
    response = await google_sign_in(client, email, f"g-{email}", {"email": email})
    assert response.status_code == 200, response.text
    accounts_to_delete.append(response.json()["id"])
    assert response.json()["email"] == email

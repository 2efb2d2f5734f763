"""Rate limits by client address (the last X-Forwarded-For hop, which the gateway writes) and
by account: logins, sign-ups (e-mail and Google) and password recovery."""

from typing import Any

import httpx
from litestar.testing import AsyncTestClient

from tests.helpers import Client, google_credential, make_settings, profile, unique, unique_email
from users.app import create_app

# What the gateway forwards when a client sends its own X-Forwarded-For: the client's value
# (anything), then the address the gateway saw. A gateway that overwrites sends the last alone.
GATEWAY_SAW = "198.51.100.7"


def forwarded(spoofed: str) -> dict[str, str]:
    return {"X-Forwarded-For": f"{spoofed}, {GATEWAY_SAW}"}


def limited(**overrides: Any) -> AsyncTestClient[Any]:
    settings = make_settings(trust_forwarded_for=True, bootstrap_admin_email=None, **overrides)
    return AsyncTestClient(app=create_app(settings))


def assert_throttled(response: httpx.Response) -> None:
    assert response.status_code == 429, response.text
    assert response.json()["detail"]
    assert 1 <= int(response.headers["retry-after"]) <= 3600


async def test_a_spoofed_forwarded_for_does_not_escape_the_login_limit() -> None:
    """The attack: each failed login claims another first hop."""
    async with limited(login_attempts_per_client=5, login_attempts_per_account=100) as client:
        statuses = []
        for i in range(8):
            response = await client.post(
                "/users/login",
                json={"email": unique_email(), "password": "wrong-password"},
                headers=forwarded(f"10.0.0.{i}"),
            )
            statuses.append(response.status_code)
        assert statuses == [401] * 5 + [429] * 3
        # Another real client (another last hop) still gets in.
        other = await client.post(
            "/users/login",
            json={"email": unique_email(), "password": "wrong-password"},
            headers={"X-Forwarded-For": "203.0.113.9"},
        )
        assert other.status_code == 401


async def test_sign_ups_are_limited_per_client(client: Client) -> None:
    taken = (await client.post("/users", json=profile())).json()["email"]
    async with limited(signup_attempts_per_client=3, signup_attempts_per_email=100) as throttled:
        for i in range(3):
            # Cheap attempts (the e-mail is taken) count as much as successful ones.
            response = await throttled.post(
                "/users", json=profile(email=taken), headers=forwarded(f"10.1.0.{i}")
            )
            assert response.status_code == 400, response.text
        assert_throttled(
            await throttled.post("/users", json=profile(), headers=forwarded("10.1.0.9"))
        )
        # Google sign-up shares the budget.
        email = unique_email()
        assert_throttled(
            await throttled.post(
                "/users/usersIDP",
                json=profile(email=email),
                headers={"Authorization": google_credential(email), **forwarded("10.1.1.1")},
            )
        )


async def test_sign_ups_are_limited_per_email() -> None:
    async with limited(signup_attempts_per_client=100, signup_attempts_per_email=2) as client:
        email = unique_email()
        for i in range(2):
            response = await client.post(
                "/users",
                json=profile(email=email, password="x"),  # refused: too short
                headers={"X-Forwarded-For": f"203.0.113.{i}"},
            )
            assert response.status_code == 400
        first = await client.post(
            "/users", json=profile(email=email), headers={"X-Forwarded-For": "203.0.113.50"}
        )
        # Validation answers before counting, so the first valid one is the first counted.
        assert first.status_code == 201, first.text
        await client.post(
            "/users", json=profile(email=email), headers={"X-Forwarded-For": "203.0.113.51"}
        )
        assert_throttled(
            await client.post(
                "/users", json=profile(email=email), headers={"X-Forwarded-For": "203.0.113.52"}
            )
        )


async def test_password_recovery_is_limited_per_account_and_per_client() -> None:
    """The attack: 60 recoveries in a row for one account, each a reset e-mail."""
    async with limited(recovery_attempts_per_client=6, recovery_attempts_per_account=3) as client:
        victim = unique()
        statuses = [
            (
                await client.post(
                    f"/users/recovery/{victim}", headers={"X-Forwarded-For": f"203.0.113.{i}"}
                )
            ).status_code
            for i in range(5)
        ]
        assert statuses == [202] * 3 + [429] * 2
        # The mobile app's spelling (the username in the body) counts for the same account.
        assert_throttled(
            await client.post(
                "/users/recovery/user_test",
                json=victim,
                headers={"X-Forwarded-For": "203.0.113.77"},
            )
        )
        # One client, many accounts: the per-client budget (6) ends it.
        statuses = [
            (
                await client.post(f"/users/recovery/{unique()}", headers=forwarded(f"10.2.0.{i}"))
            ).status_code
            for i in range(7)
        ]
        assert statuses == [202] * 6 + [429]

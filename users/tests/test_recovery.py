"""Password recovery: always 202; the reset e-mail goes out only for a real account."""

from typing import Any

import asyncpg
import httpx
import pytest

from tests.helpers import EMULATOR, PROJECT, Client, eventually, outbox_metrics, sign_up


async def reset_codes(http: httpx.AsyncClient, email: str) -> int:
    response = await http.get(f"{EMULATOR}/emulator/v1/projects/{PROJECT}/oobCodes")
    codes: list[dict[str, Any]] = response.json()["oobCodes"]
    return sum(1 for c in codes if c["email"] == email and c["requestType"] == "PASSWORD_RESET")


async def wait_for_codes(http: httpx.AsyncClient, email: str, count: int) -> int:
    """The reset e-mail goes out in the background, after the 202."""

    async def sent() -> bool:
        return await reset_codes(http, email) >= count

    await eventually(sent, f"{count} reset e-mail(s) to {email}")
    return await reset_codes(http, email)


@pytest.mark.parametrize(
    "send",
    [
        lambda name: {"json": name},  # what the mobile app sends: a bare JSON string
        lambda name: {"content": name.encode()},  # plain text
        lambda name: {"json": {"username": name}},
    ],
)
async def test_the_body_names_the_account(
    client: Client, http: httpx.AsyncClient, db: asyncpg.Pool, send: Any
) -> None:
    user = await sign_up(client)
    response = await client.post("/users/recovery/user_test", **send(user["username"]))
    assert response.status_code == 202, response.text
    assert await wait_for_codes(http, user["email"], 1) == 1
    assert ("user_password_recovery_count", None) in await outbox_metrics(db)


async def test_the_path_names_the_account_without_a_body(
    client: Client, http: httpx.AsyncClient
) -> None:
    user = await sign_up(client)
    response = await client.post(f"/users/recovery/{user['username']}")
    assert response.status_code == 202
    assert await wait_for_codes(http, user["email"], 1) == 1


@pytest.mark.parametrize(
    "body", [{"json": "nobody-at-all"}, {"json": 42}, {"content": b"\xff\xfe"}]
)
async def test_unknown_accounts_get_the_same_202(client: Client, body: Any) -> None:
    known = await sign_up(client)
    unknown = await client.post("/users/recovery/user_test", **body)
    real = await client.post("/users/recovery/user_test", json=known["username"])
    assert unknown.status_code == real.status_code == 202
    assert unknown.json() == real.json()

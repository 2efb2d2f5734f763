"""The authorization matrix: anonymous → 401, another user → 403 (or 2xx where anyone may),
the user themself, an admin; for every protected route."""

from typing import Any

import pytest

from tests.helpers import Actor, Client, unique, unique_email

ANYONE = (200, 200, 200)  # other user, self, admin
SELF = (403, 200, 403)
SELF_OR_ADMIN = (403, 200, 200)
ADMIN = (403, 403, 200)
SKIP = None  # covered with real money in test_wallets.py

ROUTES: list[tuple[str, str, Any, tuple[int | None, ...]]] = [
    ("GET", "/users/{t}", None, ANYONE),
    ("PATCH", "/users/{t}", {"name": "Otro"}, SELF_OR_ADMIN),
    ("GET", "/users?username={t_name}", None, ANYONE),
    ("GET", "/users?latitude=-34.6&longitude=-58.4", None, ANYONE),
    ("GET", "/users", None, ADMIN),
    ("GET", "/users/{t}/followed", None, ANYONE),
    ("GET", "/users/{t}/followers", None, ANYONE),
    ("POST", "/users/{t}/followed/{x}", None, SELF),
    ("DELETE", "/users/{t}/followed/{x}", None, SELF),
    ("GET", "/users/{t}/wallet", None, SELF),
    ("GET", "/users/{t}/wallet/balance", None, SELF_OR_ADMIN),
    ("PATCH", "/users/{t}/wallet/balance", {"amount": 0.0001}, ADMIN),
    (
        "POST",
        "/users/deposit",
        {"sender_id": "{t}", "receiver_id": "{x}", "amount": 0.0001},
        (403, SKIP, 403),
    ),
    (
        "POST",
        "/users/extraction",
        {"sender_id": "{t}", "receiver_address": "0x" + "cd" * 20, "amount": 0.0001},
        (403, SKIP, 403),
    ),
    ("GET", "/users/transactions", None, ADMIN),
    ("PATCH", "/users/status/{t}", None, ADMIN),
    ("GET", "/admins", None, ADMIN),
    ("GET", "/users/{t}/export", None, SELF),
    ("GET", "/users/{t}/warnings", None, SELF_OR_ADMIN),
    ("GET", "/admins/reports", None, ADMIN),
    ("GET", "/admins/audit", None, ADMIN),
    ("GET", "/admins/deletions/{t}", None, (403, 403, 404)),  # none asked: the admin's 404
    # Last for the target: the user deletes themself; an admin asking again gets the same one.
    ("DELETE", "/users/{t}", None, (403, 202, 202)),
    ("POST", "/admins", {"username": "{new}", "email": "{email}", "password": "secret-pw"}, ADMIN),
]


def fill(value: Any, names: dict[str, Any]) -> Any:
    if isinstance(value, dict):
        return {key: fill(item, names) for key, item in value.items()}
    if isinstance(value, str) and value.startswith("{") and value.endswith("}"):
        return names[value[1:-1]]
    return value


@pytest.mark.parametrize(("method", "template", "body", "expected"), ROUTES)
async def test_matrix(
    client: Client,
    make_actor: Any,
    admin_headers: Any,
    method: str,
    template: str,
    body: Any,
    expected: tuple[int | None, ...],
) -> None:
    target: Actor = await make_actor()
    other: Actor = await make_actor()
    trainer: Actor = await make_actor(is_athlete=False)
    names = {"t": target.id, "x": trainer.id, "t_name": target.user.username}
    path = template.format(**names)

    def payload() -> Any:
        return fill(body, {**names, "new": unique("adm"), "email": unique_email()})

    anonymous = await client.request(method, path, json=payload())
    assert anonymous.status_code == 401, anonymous.text
    assert anonymous.json()["detail"]
    for headers, status in zip(
        (other.headers, target.headers, admin_headers), expected, strict=True
    ):
        if status is None:
            continue
        response = await client.request(method, path, json=payload(), headers=headers)
        assert response.status_code == status, (headers, response.text)


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/users/1/followers?offset=-1&limit=zero", None),
        ("GET", "/users?latitude=500", None),
        ("PATCH", "/users/1", {"height": "tall", "birth_date": "yesterday"}),
        ("POST", "/users/deposit", {"amount": -1}),
    ],
)
async def test_no_token_is_a_401_whatever_else_is_wrong(
    client: Client, method: str, path: str, body: Any
) -> None:
    """`authenticate` runs before the parameters and the body are read: an anonymous caller
    learns nothing about what they sent."""
    response = await client.request(method, path, json=body)
    assert response.status_code == 401, response.text
    bad = await client.request(method, path, json=body, headers={"Authorization": "Bearer x"})
    assert bad.status_code == 401, bad.text


async def test_public_routes_ignore_a_bad_token(client: Client) -> None:
    for path in ("/users/locations/", "/users/healthcheck/", "/users/documentation/openapi.json"):
        response = await client.get(path, headers={"Authorization": "Bearer not-a-token"})
        assert response.status_code == 200, (path, response.text)

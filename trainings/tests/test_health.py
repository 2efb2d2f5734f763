from typing import Any

import pytest

from tests.conftest import Client


async def test_healthcheck_reports_uptime_without_a_token(client: Client) -> None:
    response = await client.get("/trainings/healthcheck/")
    assert response.status_code == 200
    uptime = response.json()["uptime"]
    assert isinstance(uptime, float) and uptime >= 0


async def test_readiness_checks_postgres_redis_and_authentication(client: Client) -> None:
    response = await client.get("/trainings/readiness/")
    assert response.status_code == 200, response.text
    assert response.json() == {
        "ready": True,
        "checks": {"postgres": "ok", "redis": "ok", "authentication": "ok"},
    }


async def test_openapi_is_served(client: Client) -> None:
    schema = await client.get("/trainings/documentation/openapi.json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert "/trainings/types" in paths  # Litestar lists paths without the slash
    assert "/users/{user_id}/trainings/{training_id}/rating" in paths
    ui = await client.get("/trainings/documentation/")
    assert ui.status_code == 200 and "swagger" in ui.text.lower()


@pytest.mark.parametrize(
    "origin",
    ["https://fiufit-backoffice.vercel.app", "http://localhost:3000"],
)
async def test_cors_preflight_allows_the_back_office(client: Client, origin: str) -> None:
    response = await client.options(
        "/trainings/1",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "PATCH",
            "Access-Control-Request-Headers": "Authorization, Content-Type",
        },
    )
    assert response.status_code in (200, 204)
    assert response.headers["access-control-allow-origin"] == origin


async def test_cors_preflight_rejects_other_origins(client: Client) -> None:
    response = await client.options(
        "/trainings",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"},
    )
    assert response.status_code == 400
    assert "access-control-allow-origin" not in response.headers


async def test_unknown_routes_and_bad_ids_are_json_4xx(client: Client) -> None:
    for path in (
        "/trainings/nothing/here",
        "/trainings/abc",
        "/trainings/0",
        "/trainings/99999999999999999999",
        "/users/abc/trainings",
        "/users/-1/trainings",
        "/users/99999999999999999999/trainings",
        "/users/1/trainings/99999999999999999999/rating",
    ):
        response = await client.get(path)
        assert 400 <= response.status_code < 500, path
        body: Any = response.json()
        assert "detail" in body

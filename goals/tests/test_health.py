import pytest
from litestar.testing import AsyncTestClient

from goals.app import create_app
from tests.conftest import Client, make_settings


async def test_healthcheck_reports_uptime_without_a_token(client: Client) -> None:
    for path in ("/goals/healthcheck/", "/goals/healthcheck"):
        response = await client.get(path)
        assert response.status_code == 200
        assert isinstance(response.json()["uptime"], float)


async def test_readiness_checks_postgres_redis_and_authentication(client: Client) -> None:
    response = await client.get("/goals/readiness/")
    assert response.status_code == 200, response.text
    assert response.json() == {
        "ready": True,
        "checks": {"postgres": "ok", "redis": "ok", "authentication": "ok"},
    }


async def test_readiness_is_503_when_a_dependency_is_down() -> None:
    app = create_app(make_settings(redis_url="redis://127.0.0.1:1/3", upstream_timeout=1.0))
    async with AsyncTestClient(app=app) as client:
        response = await client.get("/goals/readiness/")
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["postgres"] == "ok" and checks["redis"].startswith("unavailable")


async def test_openapi_is_served(client: Client) -> None:
    schema = await client.get("/goals/documentation/openapi.json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert {"/goals/metrics", "/goals/{user_id}", "/goals/{goal_id}"} <= set(paths)
    assert "/goals/{user_id}/metricsProgress/{metric}" in paths
    ui = await client.get("/goals/documentation/")
    assert ui.status_code == 200 and "swagger" in ui.text.lower()


@pytest.mark.parametrize(
    "origin",
    ["https://fiufit-backoffice.vercel.app", "http://localhost:3000", "http://localhost"],
)
async def test_cors_preflight_allows_the_back_office_and_localhost(
    client: Client, origin: str
) -> None:
    response = await client.options(
        "/goals/5",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "PATCH",
            "Access-Control-Request-Headers": "Authorization, Content-Type",
        },
    )
    assert response.status_code in (200, 204), response.text
    assert response.headers["access-control-allow-origin"] == origin


async def test_cors_preflight_refuses_other_origins(client: Client) -> None:
    response = await client.options(
        "/goals/5",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"},
    )
    assert response.status_code == 400
    assert "access-control-allow-origin" not in response.headers


async def test_unknown_route_is_a_json_404(client: Client) -> None:
    response = await client.get("/goals/5/nothing")
    assert response.status_code == 404 and "detail" in response.json()

from tests.conftest import Client


async def test_healthcheck_reports_uptime_without_a_token(anonymous: Client) -> None:
    response = await anonymous.get("/metrics/healthcheck/")
    assert response.status_code == 200
    uptime = response.json()["uptime"]
    assert isinstance(uptime, float) and uptime >= 0


async def test_readiness_checks_mongodb_and_redis(anonymous: Client) -> None:
    response = await anonymous.get("/metrics/readiness/")
    assert response.status_code == 200, response.text
    assert response.json() == {"ready": True, "checks": {"mongodb": "ok", "redis": "ok"}}


async def test_openapi_is_served(anonymous: Client) -> None:
    schema = await anonymous.get("/metrics/documentation/openapi.json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert {"/metrics", "/metrics/names"} <= set(paths)
    parameters = {p["name"] for p in paths["/metrics"]["get"]["parameters"]}
    assert {"name", "from", "to", "interval"} <= parameters
    ui = await anonymous.get("/metrics/documentation/")
    assert ui.status_code == 200 and "swagger" in ui.text.lower()


async def test_unknown_route_is_a_json_404(anonymous: Client) -> None:
    response = await anonymous.get("/metrics/nothing-here/")
    assert response.status_code == 404 and "detail" in response.json()


async def test_cors_allows_the_back_office_and_localhost(anonymous: Client) -> None:
    for origin in ("https://fiufit-backoffice.vercel.app", "http://localhost:3000"):
        response = await anonymous.options(
            "/metrics",
            headers={
                "Origin": origin,
                "Access-Control-Request-Method": "GET",
                "Access-Control-Request-Headers": "Authorization",
            },
        )
        assert response.status_code in (200, 204), (origin, response.text)
        assert response.headers["access-control-allow-origin"] == origin
    refused = await anonymous.options(
        "/metrics",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"},
    )
    assert refused.status_code == 400

from tests.helpers import Client


async def test_healthcheck_reports_uptime_without_credentials(anonymous: Client) -> None:
    response = await anonymous.get("/auth/healthcheck/")
    assert response.status_code == 200
    uptime = response.json()["uptime"]
    assert isinstance(uptime, float) and uptime >= 0


async def test_readiness_checks_firebase_and_storage(anonymous: Client) -> None:
    response = await anonymous.get("/auth/readiness/")
    assert response.status_code == 200, response.text
    assert response.json() == {
        "ready": True,
        "degraded": False,
        "checks": {"firebase_auth": "ok", "storage": "ok"},
    }


async def test_openapi_is_served(anonymous: Client) -> None:
    schema = await anonymous.get("/auth/documentation/openapi.json")
    assert schema.status_code == 200
    assert "/auth/.well-known/jwks.json" in schema.json()["paths"]
    ui = await anonymous.get("/auth/documentation/")
    assert ui.status_code == 200 and "swagger" in ui.text.lower()


async def test_unknown_route_and_bad_json_are_clean_4xx(client: Client) -> None:
    missing = await client.get("/auth/nothing-here")
    assert missing.status_code == 404 and "detail" in missing.json()
    broken = await client.post(
        "/auth/token", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert broken.status_code == 400 and "detail" in broken.json()
    wrong_shape = await client.post("/auth/token", json=["role", "user"])
    assert wrong_shape.status_code == 400

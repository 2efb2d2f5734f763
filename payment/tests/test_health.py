from tests.helpers import NO_TOKEN, Client


async def test_healthcheck_reports_uptime_without_credentials(client: Client) -> None:
    response = await client.get("/payment/healthcheck/", headers=NO_TOKEN)
    assert response.status_code == 200
    assert response.json()["uptime"] >= 0


async def test_readiness_checks_database_and_chain(client: Client) -> None:
    response = await client.get("/payment/readiness/", headers=NO_TOKEN)
    assert response.status_code == 200, response.text
    assert response.json() == {"ready": True, "checks": {"database": "ok", "chain": "ok"}}


async def test_openapi_is_served(client: Client) -> None:
    schema = await client.get("/payment/documentation/openapi.json")
    assert schema.status_code == 200
    assert "/payment/transfers" in schema.json()["paths"]
    ui = await client.get("/payment/documentation/")
    assert ui.status_code == 200 and "swagger" in ui.text.lower()


async def test_unknown_route_is_json_404(client: Client) -> None:
    response = await client.get("/payment/nothing-here")
    assert response.status_code == 404 and "detail" in response.json()

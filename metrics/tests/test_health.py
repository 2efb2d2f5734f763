from litestar.testing import AsyncTestClient
from prometheus_client import REGISTRY
from redis.asyncio import Redis

from metrics.app import create_app
from tests.helpers import (
    Client,
    Servers,
    answers,
    eventually,
    free_port,
    make_settings,
    readiness_body,
    redis_server,
)


async def test_healthcheck_reports_uptime_without_a_token(anonymous: Client) -> None:
    response = await anonymous.get("/metrics/healthcheck/")
    assert response.status_code == 200
    uptime = response.json()["uptime"]
    assert isinstance(uptime, float) and uptime >= 0


async def test_readiness_checks_mongodb_and_redis(anonymous: Client) -> None:
    response = await anonymous.get("/metrics/readiness/")
    assert response.status_code == 200, response.text
    assert response.json() == readiness_body()


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


async def test_cors_headers_answer_an_origin_only(anonymous: Client) -> None:
    """Requests without `Origin` skip the CORS middleware (protocol.py); one with an allowed
    origin still gets its headers."""
    plain = await anonymous.get("/metrics/readiness/")
    assert plain.status_code == 200
    assert not any(name.startswith("access-control-") for name in plain.headers)
    origin = "https://fiufit-backoffice.vercel.app"
    allowed = await anonymous.get("/metrics/readiness/", headers={"Origin": origin})
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == origin
    refused = await anonymous.get(
        "/metrics/readiness/", headers={"Origin": "https://evil.example.com"}
    )
    assert refused.status_code == 200
    assert "access-control-allow-origin" not in refused.headers


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


DEPENDENCY = "fiufit_metrics_dependency_up"


async def test_readiness_stays_200_through_a_redis_outage_and_fails_without_mongodb(
    admin_token: str, private_server: Servers
) -> None:
    """Redis is soft (reported in the body); MongoDB is the service's own store (503). The body
    names states, never an error's text."""
    port = free_port()
    url = f"redis://127.0.0.1:{port}/4"
    server = private_server(redis_server(port))
    private = Redis.from_url(url)
    await eventually(lambda: answers(private))
    await private.aclose()
    app = create_app(make_settings(redis_url=url))
    async with AsyncTestClient(app=app) as client:
        up = await client.get("/metrics/readiness/")
        assert up.status_code == 200
        assert up.json() == readiness_body()
        server.terminate()
        server.wait()
        down = await client.get("/metrics/readiness/")
        assert down.status_code == 200, down.text
        assert down.json() == readiness_body(redis="unavailable")
        # …and alerting sees it.
        assert REGISTRY.get_sample_value(DEPENDENCY, {"dependency": "redis"}) == 0
        assert REGISTRY.get_sample_value(DEPENDENCY, {"dependency": "mongodb"}) == 1
        # The counters still answer an admin (the blocked set is only checked for users).
        counters = await client.get(
            "/metrics", params={"name": "x"}, headers={"Authorization": f"Bearer {admin_token}"}
        )
        assert counters.status_code == 200, counters.text

    no_mongo = make_settings(mongo_url=f"mongodb://127.0.0.1:{free_port()}", mongo_timeout_ms=300)
    async with AsyncTestClient(app=create_app(no_mongo)) as client:
        response = await client.get("/metrics/readiness/")
        assert response.status_code == 503
        assert response.json() == readiness_body(mongodb="unavailable")


async def test_request_metrics_keep_litestar_s_series(anonymous: Client) -> None:
    """prometheus.py (glue): the series, names and labels of Litestar's Prometheus plugin."""
    labels = {
        "method": "GET",
        "path": "/metrics/healthcheck",
        "status_code": "200",
        "app_name": "fiufit_metrics",
    }

    def counted() -> float:
        return REGISTRY.get_sample_value("litestar_requests_total", labels) or 0.0

    before = counted()
    for _ in range(3):
        assert (await anonymous.get("/metrics/healthcheck/")).status_code == 200
    assert counted() == before + 3

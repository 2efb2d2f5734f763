from typing import Any

import pytest
from prometheus_client import REGISTRY

from tests.helpers import Client, readiness_body
from users.prometheus import RequestMetrics


async def test_healthcheck_reports_uptime_without_a_token(client: Client) -> None:
    response = await client.get("/users/healthcheck/")
    assert response.status_code == 200
    uptime = response.json()["uptime"]
    assert isinstance(uptime, float) and uptime > 0


async def test_readiness_checks_postgres_redis_and_mongo(client: Client) -> None:
    response = await client.get("/users/readiness/")
    assert response.status_code == 200, response.text
    assert response.json() == readiness_body()


async def test_openapi_is_served(client: Client) -> None:
    schema = await client.get("/users/documentation/openapi.json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert "/users/locations" in paths or "/users/locations/" in paths
    assert "/admins/login" in paths
    # A user's trainings are trainings' (the ingress routes them there); reports on a training
    # are users' (the moderation queue is one), and the ingress routes that path here.
    assert [path for path in paths if "/trainings" in path] == ["/trainings/{training_id}/reports"]
    ui = await client.get("/users/documentation/")
    assert ui.status_code == 200 and "swagger" in ui.text.lower()


@pytest.mark.parametrize(
    "origin",
    [
        "https://fiufit-backoffice.vercel.app",
        "https://preview-123.vercel.app",
        "http://localhost:3000",
    ],
)
async def test_cors_allows_the_back_office(client: Client, origin: str) -> None:
    response = await client.options(
        "/users",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "PATCH",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )
    assert response.status_code in (200, 204)
    assert response.headers["access-control-allow-origin"] == origin


async def test_cors_headers_answer_an_origin_only(client: Client) -> None:
    """Requests without `Origin` skip the CORS middleware (protocol.py): the answer is the same
    without its headers, and one with an allowed origin still gets them."""
    path = "/users/locations/"
    plain = await client.get(path)
    assert plain.status_code == 200
    assert not any(name.startswith("access-control-") for name in plain.headers)
    origin = "https://fiufit-backoffice.vercel.app"
    allowed = await client.get(path, headers={"Origin": origin})
    assert allowed.status_code == 200 and allowed.json() == plain.json()
    assert allowed.headers["access-control-allow-origin"] == origin
    assert allowed.headers["access-control-allow-credentials"] == "true"
    refused = await client.get(path, headers={"Origin": "https://evil.example.com"})
    assert refused.status_code == 200
    assert "access-control-allow-origin" not in refused.headers


@pytest.mark.parametrize("origin", ["https://evil.example.com", "https://vercel.app.evil.com"])
async def test_cors_refuses_other_origins(client: Client, origin: str) -> None:
    response = await client.options(
        "/users", headers={"Origin": origin, "Access-Control-Request-Method": "GET"}
    )
    assert response.status_code == 400
    assert "access-control-allow-origin" not in response.headers


@pytest.mark.parametrize(
    ("method", "path", "body", "as_owner"),
    [
        ("POST", "/users", b"{not json", False),
        ("POST", "/users/login", b'{"email": ', False),
        # Editing needs the owner's token: without one the 401 would come before the parsing.
        ("PATCH", "/users/{id}", b"]", True),
    ],
)
async def test_malformed_json_is_a_400_with_detail(
    client: Client, make_actor: Any, method: str, path: str, body: bytes, as_owner: bool
) -> None:
    owner = await make_actor()
    headers = {"Content-Type": "application/json", **(owner.headers if as_owner else {})}
    response = await client.request(method, path.format(id=owner.id), content=body, headers=headers)
    assert response.status_code == 400, response.text
    assert "detail" in response.json()


async def test_unknown_route_is_a_json_404(client: Client) -> None:
    response = await client.get("/users/nothing/here/at-all")
    assert response.status_code == 404
    body: Any = response.json()
    assert "detail" in body


def request_samples(path: str, status: int) -> tuple[float, float, float]:
    """Requests counted, durations observed, requests in progress, for one label set."""
    labels = {"method": "GET", "path": path, "app_name": "fiufit_users"}
    done = {**labels, "status_code": str(status)}
    return (
        REGISTRY.get_sample_value("litestar_requests_total", done) or 0.0,
        REGISTRY.get_sample_value("litestar_request_duration_seconds_count", done) or 0.0,
        REGISTRY.get_sample_value("litestar_requests_in_progress", {**labels, "status_code": "200"})
        or 0.0,
    )


async def test_request_metrics_keep_litestar_s_series(
    client: Client, make_actor: Any, admin_headers: Any
) -> None:
    """users/prometheus.py: the series, names and labels of Litestar's Prometheus plugin."""
    actor = await make_actor()
    path = "/users/{user_id}"
    before_ok, before_missing = request_samples(path, 200), request_samples(path, 404)
    for _ in range(3):
        response = await client.get(f"/users/{actor.id}", headers=actor.headers)
        assert response.status_code == 200
    assert (await client.get("/users/99999999", headers=admin_headers)).status_code == 404
    ok, missing = request_samples(path, 200), request_samples(path, 404)
    assert ok[0] - before_ok[0] == 3 and ok[1] - before_ok[1] == 3
    assert missing[0] - before_missing[0] == 1 and missing[1] - before_missing[1] == 1
    assert ok[2] == 0  # nothing left in progress


def test_the_in_progress_gauge_counts_the_routed_requests_in_flight() -> None:
    """Counted when scraped, from the scopes the access wrapper holds (prometheus.py)."""

    class Held:
        def __init__(self, scope: dict[str, Any]) -> None:
            self.scope = scope

    metrics = RequestMetrics("fiufit_gauge_test")
    labels = {"method": "GET", "path": "/users/{user_id}", "app_name": "fiufit_gauge_test"}
    gauge = {**labels, "status_code": "200"}
    routed = [Held({"method": "GET", "path_template": "/users/{user_id}"}) for _ in range(2)]
    unrouted = Held({"method": "GET"})  # not routed yet: no template, not counted
    metrics.in_flight.update([*routed, unrouted])
    assert REGISTRY.get_sample_value("litestar_requests_in_progress", gauge) == 2
    metrics.in_flight.discard(routed[0])
    metrics.finished("GET", "/users/{user_id}", 200, 0.01)
    assert REGISTRY.get_sample_value("litestar_requests_in_progress", gauge) == 1
    metrics.in_flight.clear()
    assert REGISTRY.get_sample_value("litestar_requests_in_progress", gauge) == 0  # kept, at 0
    done = {**labels, "status_code": "200"}
    assert REGISTRY.get_sample_value("litestar_requests_total", done) == 1

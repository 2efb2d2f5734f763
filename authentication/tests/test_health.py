import inspect

from litestar import Litestar
from litestar.routes import HTTPRoute
from prometheus_client import REGISTRY

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


def request_samples(path: str, status: int) -> tuple[float, float, float]:
    """Requests counted, durations observed, requests in progress, for one label set."""
    labels = {"method": "GET", "path": path, "app_name": "fiufit_authentication"}
    done = {**labels, "status_code": str(status)}
    return (
        REGISTRY.get_sample_value("litestar_requests_total", done) or 0.0,
        REGISTRY.get_sample_value("litestar_request_duration_seconds_count", done) or 0.0,
        REGISTRY.get_sample_value("litestar_requests_in_progress", {**labels, "status_code": "200"})
        or 0.0,
    )


async def test_request_metrics_keep_litestar_s_series(client: Client, anonymous: Client) -> None:
    """authentication/prometheus.py: the series, names and labels of Litestar's plugin."""
    jwks, credentials = "/auth/.well-known/jwks.json", "/auth/credentials"
    before_ok, before_refused = request_samples(jwks, 200), request_samples(credentials, 401)
    for _ in range(3):
        assert (await anonymous.get(jwks)).status_code == 200
    assert (await anonymous.get(credentials)).status_code == 401
    ok, refused = request_samples(jwks, 200), request_samples(credentials, 401)
    assert ok[0] - before_ok[0] == 3 and ok[1] - before_ok[1] == 3
    assert refused[0] - before_refused[0] == 1 and refused[1] - before_refused[1] == 1
    assert ok[2] == 0  # nothing left in progress


def test_every_guard_is_a_coroutine_function(app: Litestar) -> None:
    """Litestar runs a sync guard in a worker thread: a thread hop on every request."""
    for route in app.routes:
        if isinstance(route, HTTPRoute):
            for handler, _ in route.route_handler_map.values():
                for guard in handler.resolve_guards():
                    assert inspect.iscoroutinefunction(guard), (route.path, guard)

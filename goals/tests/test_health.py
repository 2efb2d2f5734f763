import socket
import subprocess
import time
from collections.abc import Iterator

import pytest
from litestar.testing import AsyncTestClient
from prometheus_client import REGISTRY

from goals.app import create_app
from tests.helpers import Client, free_port, make_settings, user

SERVICE_CHECKS = ("postgres", "redis", "authentication")
SOFT_CHECKS = ("redis", "authentication")


def readiness(down: str | None = None) -> dict[str, object]:
    """The readiness body when `down` (or nothing) is unavailable: only postgres is required."""
    checks = {name: "unavailable" if name == down else "ok" for name in SERVICE_CHECKS}
    return {"ready": down != "postgres", "degraded": down in SOFT_CHECKS, "checks": checks}


async def test_healthcheck_reports_uptime_without_a_token(client: Client) -> None:
    for path in ("/goals/healthcheck/", "/goals/healthcheck"):
        response = await client.get(path)
        assert response.status_code == 200
        assert isinstance(response.json()["uptime"], float)


async def test_cors_headers_answer_an_origin_only(client: Client) -> None:
    """Requests without `Origin` skip the CORS middleware (protocol.py); one with an allowed
    origin still gets its headers."""
    plain = await client.get("/goals/readiness/")
    assert plain.status_code == 200
    assert not any(name.startswith("access-control-") for name in plain.headers)
    origin = "https://fiufit-backoffice.vercel.app"
    allowed = await client.get("/goals/readiness/", headers={"Origin": origin})
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == origin
    refused = await client.get("/goals/readiness/", headers={"Origin": "https://evil.example.com"})
    assert refused.status_code == 200
    assert "access-control-allow-origin" not in refused.headers


async def test_readiness_checks_postgres_redis_and_authentication(client: Client) -> None:
    response = await client.get("/goals/readiness/")
    assert response.status_code == 200, response.text
    assert response.json() == readiness()


@pytest.fixture
def private_redis() -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    """A redis-server of this test's own, on a free port, that the test may stop."""
    port = free_port()
    server = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        while True:  # wait until it answers (or it died)
            assert server.poll() is None, "redis-server did not start"
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(64).startswith(b"+PONG"):
                        break
            time.sleep(0.02)
        yield server, port
    finally:
        if server.poll() is None:
            server.terminate()
        server.wait(timeout=30)


async def test_readiness_stays_200_when_redis_stops_and_reports_it(
    private_redis: tuple[subprocess.Popen[bytes], int],
) -> None:
    server, port = private_redis
    app = create_app(make_settings(redis_url=f"redis://127.0.0.1:{port}/3", upstream_timeout=1.0))
    async with AsyncTestClient(app=app) as client:
        before = await client.get("/goals/readiness/")
        assert before.status_code == 200 and before.json()["checks"]["redis"] == "ok"
        assert REGISTRY.get_sample_value("fiufit_goals_dependency_up", {"dependency": "redis"}) == 1

        server.terminate()
        server.wait(timeout=30)
        response = await client.get("/goals/readiness/")
        assert response.status_code == 200, response.text
        assert response.json() == readiness(down="redis")
        assert REGISTRY.get_sample_value("fiufit_goals_dependency_up", {"dependency": "redis"}) == 0
        # Reads still work: tokens are checked on cached keys and the last known blocked set.
        assert (await client.get("/goals/5", headers=user())).status_code == 200


async def test_readiness_is_200_when_authentication_is_down() -> None:
    app = create_app(
        make_settings(auth_url=f"http://127.0.0.1:{free_port()}", upstream_timeout=1.0)
    )
    async with AsyncTestClient(app=app) as client:
        response = await client.get("/goals/readiness/")
    assert response.status_code == 200, response.text
    assert response.json()["checks"]["authentication"] == "unavailable"
    assert response.json()["degraded"] is True


async def test_readiness_is_503_when_postgres_is_down_and_echoes_no_error_text() -> None:
    settings = make_settings(
        database_url=f"postgresql://postgres@127.0.0.1:{free_port()}/goals_test",
        database_pool_min=0,
        upstream_timeout=1.0,
    )
    async with AsyncTestClient(app=create_app(settings)) as client:
        response = await client.get("/goals/readiness/")
    assert response.status_code == 503
    assert response.json() == readiness(down="postgres")
    assert "127.0.0.1" not in response.text and "rror" not in response.text


async def test_openapi_is_served(client: Client) -> None:
    schema = await client.get("/goals/documentation/openapi.json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    # One path item for /goals/{n}: a user's id for GET and POST, a goal's for PATCH and DELETE.
    assert {"/goals/metrics", "/goals/{id}"} <= set(paths)
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


def request_samples(path: str, status: int) -> tuple[float, float, float]:
    """Requests counted, durations observed, requests in progress, for one label set."""
    labels = {"method": "GET", "path": path, "app_name": "fiufit_goals"}
    done = {**labels, "status_code": str(status)}
    return (
        REGISTRY.get_sample_value("litestar_requests_total", done) or 0.0,
        REGISTRY.get_sample_value("litestar_request_duration_seconds_count", done) or 0.0,
        REGISTRY.get_sample_value("litestar_requests_in_progress", {**labels, "status_code": "200"})
        or 0.0,
    )


async def test_request_metrics_keep_litestar_s_series(client: Client) -> None:
    """goals/prometheus.py: the series, names and labels of Litestar's Prometheus plugin."""
    path = "/goals/{goal_id}"  # the template of the path GET /goals/{user_id} shares
    before_ok, before_refused = request_samples(path, 200), request_samples(path, 403)
    for _ in range(3):
        assert (await client.get("/goals/5", headers=user(5))).status_code == 200
    assert (await client.get("/goals/6", headers=user(5))).status_code == 403
    ok, refused = request_samples(path, 200), request_samples(path, 403)
    assert ok[0] - before_ok[0] == 3 and ok[1] - before_ok[1] == 3
    assert refused[0] - before_refused[0] == 1 and refused[1] - before_refused[1] == 1
    assert ok[2] == 0  # nothing left in progress

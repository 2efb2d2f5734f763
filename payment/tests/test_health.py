import socket
import subprocess
import time
from collections.abc import Iterator
from importlib.metadata import version

import pytest
from prometheus_client import REGISTRY

from tests.fuzz import free_port
from tests.helpers import NO_TOKEN, Client, database_refused, running

OK = {"database": "ok", "chain": "ok", "redis": "ok"}


async def test_healthcheck_reports_uptime_without_credentials(client: Client) -> None:
    response = await client.get("/payment/healthcheck/", headers=NO_TOKEN)
    assert response.status_code == 200
    assert response.json()["uptime"] >= 0


async def test_readiness_checks_database_chain_and_redis(client: Client) -> None:
    response = await client.get("/payment/readiness/", headers=NO_TOKEN)
    assert response.status_code == 200, response.text
    assert response.json() == {"ready": True, "degraded": False, "checks": OK}


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
        while True:  # until it answers (or it died)
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


def _up(dependency: str) -> float | None:
    return REGISTRY.get_sample_value("fiufit_payment_dependency_up", {"dependency": dependency})


async def test_readiness_stays_200_when_redis_stops_and_reports_it(
    private_redis: tuple[subprocess.Popen[bytes], int],
) -> None:
    server, port = private_redis
    async with running(redis_url=f"redis://127.0.0.1:{port}/0") as app:
        before = await app.get("/payment/readiness/", headers=NO_TOKEN)
        assert before.status_code == 200 and before.json()["checks"] == OK
        assert _up("redis") == 1
        server.terminate()
        server.wait(timeout=30)
        during = await app.get("/payment/readiness/", headers=NO_TOKEN)
        assert during.status_code == 200, during.text
        assert during.json() == {
            "ready": True,
            "degraded": True,
            "checks": {**OK, "redis": "unavailable"},
        }
        assert _up("redis") == 0
        assert "Error" not in during.text and "refused" not in during.text.lower()


async def test_readiness_fails_only_without_the_database() -> None:
    async with running() as app:
        # The instance's readiness asks a database that refuses connections; its background
        # tasks keep the real pool.
        with database_refused(app):
            response = await app.get("/payment/readiness/", headers=NO_TOKEN)
        assert response.status_code == 503, response.text
        assert response.json() == {
            "ready": False,
            "degraded": False,  # `degraded` speaks of the soft dependencies only
            "checks": {**OK, "database": "unavailable"},
        }
        assert _up("database") == 0
        assert (await app.get("/payment/readiness/", headers=NO_TOKEN)).status_code == 200


async def test_openapi_is_served(client: Client) -> None:
    schema = await client.get("/payment/documentation/openapi.json")
    assert schema.status_code == 200
    assert "/payment/transfers" in schema.json()["paths"]
    ui = await client.get("/payment/documentation/")
    assert ui.status_code == 200 and "swagger" in ui.text.lower()


async def test_unknown_route_is_json_404(client: Client) -> None:
    response = await client.get("/payment/nothing-here")
    assert response.status_code == 404 and "detail" in response.json()


async def test_request_metrics_keep_litestar_s_series(client: Client) -> None:
    """prometheus.py (glue): the series, names and labels of Litestar's Prometheus plugin."""
    labels = {
        "method": "GET",
        "path": "/payment/healthcheck",
        "status_code": "200",
        "app_name": "fiufit_payment",
    }

    def counted() -> float:
        return REGISTRY.get_sample_value("litestar_requests_total", labels) or 0.0

    before = counted()
    for _ in range(3):
        assert (await client.get("/payment/healthcheck/")).status_code == 200
    assert counted() == before + 3


async def test_the_document_names_the_package_version(client: Client) -> None:
    schema = (await client.get("/payment/documentation/openapi.json")).json()
    assert schema["info"]["version"] == version("fiufit-payment")

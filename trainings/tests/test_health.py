import socket
import subprocess
import time
from collections.abc import Iterator
from importlib.metadata import version
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from prometheus_client import REGISTRY

from tests.helpers import Client, Create, make_settings
from trainings.app import create_app


async def _readiness(client: Client) -> dict[str, Any]:
    """The readiness body, which must come with a 200."""
    response = await client.get("/trainings/readiness/")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _ready(unavailable: str | None = None) -> dict[str, Any]:
    """The body of a ready service, with one soft dependency unavailable or none."""
    checks = {name: "ok" for name in ("postgres", "redis", "authentication")}
    if unavailable:
        checks[unavailable] = "unavailable"
    return {"ready": True, "degraded": unavailable is not None, "checks": checks}


async def test_healthcheck_reports_uptime_without_a_token(client: Client) -> None:
    response = await client.get("/trainings/healthcheck/")
    assert response.status_code == 200
    uptime = response.json()["uptime"]
    assert isinstance(uptime, float) and uptime >= 0


async def test_readiness_checks_postgres_redis_and_authentication(client: Client) -> None:
    assert await _readiness(client) == _ready()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def private_redis() -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    """A redis-server of this test's own, on a free port, that the test may stop."""
    port = _free_port()
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


def _up(dependency: str) -> float | None:
    return REGISTRY.get_sample_value("fiufit_trainings_dependency_up", {"dependency": dependency})


async def test_readiness_stays_200_when_redis_stops_and_reports_it(
    private_redis: tuple[subprocess.Popen[bytes], int], create: Create
) -> None:
    training = await create()
    server, port = private_redis
    settings = make_settings(redis_url=f"redis://127.0.0.1:{port}/2", upstream_timeout=1.0)
    async with AsyncTestClient(app=create_app(settings)) as client:
        assert await _readiness(client) == _ready()
        assert _up("redis") == 1

        server.terminate()
        server.wait(timeout=30)
        assert await _readiness(client) == _ready(unavailable="redis")
        assert _up("redis") == 0
        # Reads still work without Redis.
        assert (await client.get(f"/trainings/{training['id']}")).status_code == 200


async def test_readiness_is_200_when_authentication_is_down() -> None:
    settings = make_settings(auth_url=f"http://127.0.0.1:{_free_port()}", upstream_timeout=1.0)
    async with AsyncTestClient(app=create_app(settings)) as client:
        assert await _readiness(client) == _ready(unavailable="authentication")
    assert _up("authentication") == 0


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


async def test_cors_headers_answer_an_origin_only(client: Client) -> None:
    """Requests without `Origin` skip the CORS middleware (protocol.py): the answer is the same
    without its headers, and one with an allowed origin still gets them."""
    plain = await client.get("/trainings/types/")
    assert plain.status_code == 200
    assert not any(name.startswith("access-control-") for name in plain.headers)
    origin = "https://fiufit-backoffice.vercel.app"
    allowed = await client.get("/trainings/types/", headers={"Origin": origin})
    assert allowed.status_code == 200 and allowed.json() == plain.json()
    assert allowed.headers["access-control-allow-origin"] == origin
    refused = await client.get("/trainings/types/", headers={"Origin": "https://evil.example.com"})
    assert refused.status_code == 200
    assert "access-control-allow-origin" not in refused.headers


async def test_cors_preflight_rejects_other_origins(client: Client) -> None:
    response = await client.options(
        "/trainings",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"},
    )
    assert response.status_code == 400
    assert "access-control-allow-origin" not in response.headers


@pytest.mark.parametrize(
    ("path", "allow"),
    [
        ("/trainings/", "GET, OPTIONS, POST"),
        ("/trainings/1", "GET, OPTIONS, PATCH"),
        ("/trainings/types/", "GET, OPTIONS"),
        ("/users/1/trainings/", "GET, OPTIONS, POST"),
        ("/users/1/trainings/2", "DELETE, OPTIONS, PUT"),
        ("/users/1/trainings/2/rating", "GET, OPTIONS"),
    ],
)
async def test_options_and_405_name_every_method_of_the_path(
    client: Client, path: str, allow: str
) -> None:
    options = await client.options(path)
    assert options.status_code == 204
    assert options.headers["allow"] == allow  # it named the path's first handler's only
    refused = await client.request("TRACE", path)
    assert refused.status_code == 405
    assert sorted(refused.headers["allow"].split(", ")) == allow.split(", ")
    assert refused.json() == {"detail": "Method Not Allowed"}


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


async def test_the_document_names_the_package_version(client: Client) -> None:
    schema = (await client.get("/trainings/documentation/openapi.json")).json()
    assert schema["info"]["version"] == version("fiufit-trainings")

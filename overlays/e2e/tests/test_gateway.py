"""The gateway itself: health checks of every public service (the back office's Services page),
the routing table (authentication and payment are not exposed), CORS preflights."""

from __future__ import annotations

import pytest

from fiufit_e2e.api import Gateway

PUBLIC = ["users", "trainings", "goals", "metrics"]
ALLOWED_ORIGINS = ["http://localhost:3000", "https://fiufit-backoffice.vercel.app"]
# One protected path per public service and per method the back office uses.
PREFLIGHT_PATHS = [
    ("/users", "GET"),
    ("/users/status/1", "PATCH"),
    ("/admins", "POST"),
    ("/users/1/trainings", "POST"),
    ("/trainings/1", "PATCH"),
    ("/goals/1", "POST"),
    ("/metrics", "GET"),
]


@pytest.mark.parametrize("prefix", PUBLIC)
def test_healthcheck_through_the_gateway(gw: Gateway, prefix: str) -> None:
    response = gw.get(f"/{prefix}/healthcheck/")
    assert response.status_code == 200, response.text
    assert response.json()["uptime"] > 0


@pytest.mark.parametrize(
    "path",
    [
        "/auth/healthcheck/",
        "/auth/.well-known/jwks.json",
        "/auth/documentation/",
        "/payment/healthcheck/",
        "/payment/wallets/1",
        "/payment/transactions",
        "/",
    ],
)
def test_internal_services_are_not_exposed(gw: Gateway, path: str) -> None:
    response = gw.get(path)
    assert response.status_code == 404, (path, response.status_code, response.text)


def test_internal_services_refuse_writes_too(gw: Gateway) -> None:
    response = gw.post("/auth/accounts", json={"email": "x@example.com", "password": "secret1"})
    assert response.status_code == 404
    response = gw.post("/payment/top-ups", json={"user_id": 1, "amount": "1"})
    assert response.status_code == 404


def test_trailing_slash_paths_the_clients_use(gw: Gateway) -> None:
    for path in ("/users/locations/", "/trainings/types/", "/trainings/exercises/"):
        response = gw.get(path)
        assert response.status_code == 200, (path, response.text)
    assert len(gw.get("/users/locations/").json()) == 48
    assert gw.get("/trainings/types/").json()["items"] == [
        "Cardio",
        "Leg",
        "Arm",
        "Chest",
        "Back",
        "Abdomen",
    ]


@pytest.mark.parametrize("origin", ALLOWED_ORIGINS)
@pytest.mark.parametrize(("path", "method"), PREFLIGHT_PATHS)
def test_cors_preflight_from_an_allowed_origin(
    gw: Gateway, origin: str, path: str, method: str
) -> None:
    response = gw.options(
        path,
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": "authorization,content-type",
        },
    )
    assert response.status_code in (200, 204), (path, response.status_code, response.text)
    assert response.headers.get("access-control-allow-origin") == origin
    allowed_methods = response.headers.get("access-control-allow-methods", "").upper()
    assert method in allowed_methods
    allowed_headers = response.headers.get("access-control-allow-headers", "").lower()
    assert "authorization" in allowed_headers
    assert "content-type" in allowed_headers


@pytest.mark.parametrize("origin", ALLOWED_ORIGINS)
def test_cors_on_an_actual_request(gw: Gateway, origin: str) -> None:
    response = gw.get("/trainings/types/", headers={"Origin": origin})
    assert response.status_code == 200
    assert response.headers.get("access-control-allow-origin") == origin


@pytest.mark.parametrize(("path", "method"), PREFLIGHT_PATHS)
def test_cors_preflight_from_a_refused_origin(gw: Gateway, path: str, method: str) -> None:
    response = gw.options(
        path,
        headers={
            "Origin": "https://evil.example.com",
            "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": "authorization,content-type",
        },
    )
    assert response.headers.get("access-control-allow-origin") in (None, ""), (
        path,
        dict(response.headers),
    )
    actual = gw.get("/trainings/types/", headers={"Origin": "https://evil.example.com"})
    assert actual.headers.get("access-control-allow-origin") in (None, "")


# One path per public service, and the favourites rule that routes /users/… to trainings.
METHOD_PATHS = ["/users/1", "/admins", "/users/1/trainings", "/trainings/1", "/goals/1", "/metrics"]


@pytest.mark.parametrize("path", METHOD_PATHS)
def test_undeclared_methods_are_405_with_the_paths_allow(gw: Gateway, path: str) -> None:
    """Anonymous, as a client that probes: OPTIONS lists the path's methods; a method the path
    does not serve is 405 with that Allow, including TRACE, which nginx refuses itself."""
    options = gw.request("OPTIONS", path)
    assert options.status_code == 204, options.text
    allow = {method.strip() for method in options.headers["allow"].split(",")}
    assert "OPTIONS" in allow
    for method in {"TRACE", "PUT"} - allow:
        refused = gw.request(method, path)
        assert refused.status_code == 405, (method, refused.text)
        served = {m.strip() for m in refused.headers.get("allow", "").split(",") if m.strip()}
        assert served == allow, (method, dict(refused.headers))

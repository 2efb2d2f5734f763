"""The published contract is true: schemathesis (`--checks all`, tests/fuzz.py, the declared test
glue) fuzzes the app from its own OpenAPI document, served by uvicorn on the suite's real
components, as an admin, as a trainer (who creates trainings, so the stateful phase chains
create → read → edit through the `Location` of each new one), as an anonymous caller and as
another FiuFit service (the service credential, which the /internal/ operations take), and finds
nothing. The per-operation settings, each with its reason, are in
tests/schemathesis.toml. Each run takes under a minute and a half on a 2-core machine, with the
glue's 60 examples per operation (35-75 s measured).

The document's own promises (the security scheme, the public operations, the catalogue's names)
are checked here too, in process."""

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.fuzz import fuzz, serve
from tests.helpers import (
    ATHLETE,
    PNG,
    SERVICE_TOKEN,
    Client,
    admin,
    athlete,
    make_settings,
    trainer,
    training_body,
)
from trainings.app import create_app

SPEC = "/trainings/documentation/openapi.json"


@pytest.fixture(scope="module")
def served(database: None) -> Iterator[str]:
    """The app under uvicorn on a free port, on the suite's database, Redis and authentication."""
    with serve(create_app(make_settings())) as base_url:
        yield base_url


def seed(base_url: str) -> None:
    """Trainings the fuzzer can find through the listings (one with an image), a favourite and a
    rating, so the responses it checks carry data."""
    with httpx.Client(base_url=base_url, timeout=30) as http:
        ids = []
        for media in (PNG, None):
            created = http.post("/trainings/", json=training_body(media=media), headers=trainer())
            assert created.status_code == 201, created.text
            ids.append(created.json()["id"])
        mine = f"/users/{ATHLETE}/trainings/"
        liked = http.post(mine, json={"training_id": ids[0]}, headers=athlete())
        assert liked.status_code == 204, liked.text
        rated = http.put(f"{mine}{ids[0]}", json={"rate": 4}, headers=athlete())
        assert rated.status_code == 204, rated.text


def assert_nothing_found(base_url: str, headers: dict[str, str] | None) -> None:
    seed(base_url)
    run = fuzz(base_url, SPEC, headers)
    print(run.stdout, run.stderr)  # the whole report, shown when the test fails
    tail = "\n".join(run.stdout.splitlines()[-40:])
    assert run.returncode == 0, f"schemathesis found failures (full report above):\n{tail}"


def test_the_contract_holds_for_an_admin(served: str) -> None:
    assert_nothing_found(served, admin())


def test_the_contract_holds_for_a_trainer(served: str) -> None:
    assert_nothing_found(served, trainer())


def test_the_contract_holds_for_an_anonymous_caller(served: str) -> None:
    assert_nothing_found(served, None)


def test_the_contract_holds_for_another_service(served: str) -> None:
    assert_nothing_found(served, {"X-Service-Token": SERVICE_TOKEN})


# The document itself ---------------------------------------------------------------------------

PUBLIC = {
    ("get", "/trainings"),
    ("get", "/trainings/{training_id}"),
    ("get", "/trainings/types"),
    ("get", "/trainings/difficulties"),
    ("get", "/trainings/exercises"),
    ("get", "/trainings/healthcheck"),
    ("get", "/trainings/readiness"),
    ("get", "/users/{user_id}/trainings"),
    ("get", "/users/{user_id}/trainings/{training_id}/rating"),
}

INTERNAL = {
    ("get", "/internal/trainings"),
    ("put", "/internal/trainings/{training_id}/blocked"),
    ("get", "/internal/audit"),
    ("delete", "/internal/users/{user_id}"),
    ("get", "/internal/users/{user_id}/export"),
}


async def document(client: Client) -> dict[str, Any]:
    response = await client.get(SPEC)
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


async def test_every_operation_states_its_security(client: Client) -> None:
    spec = await document(client)
    assert spec["components"]["securitySchemes"] == {
        "BearerToken": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
        "ServiceToken": {
            "type": "apiKey",
            "name": "X-Service-Token",
            "in": "header",
            "description": "The credential FiuFit services present to each other",
        },
    }
    operations = {
        (method, path): operation
        for path, item in spec["paths"].items()
        for method, operation in item.items()
    }
    assert set(operations) >= PUBLIC | INTERNAL
    for key, operation in operations.items():
        if key in PUBLIC:
            assert operation["security"] == [], key
        elif key[1].startswith("/internal/"):
            # Other services' credential only; no user's token earns a 403 there.
            assert operation["security"] == [{"ServiceToken": []}], key
            assert "401" in operation["responses"] and "403" not in operation["responses"], key
        else:
            assert operation["security"] == [{"BearerToken": []}], key
            assert {"401", "403"} <= set(operation["responses"]), key
        errors = [status for status in operation["responses"] if status >= "400"]
        for status in errors:
            content = operation["responses"][status]["content"]["application/json"]
            if key != ("get", "/trainings/readiness"):
                assert content["schema"] == {"$ref": "#/components/schemas/Error"}, (key, status)


async def test_the_document_names_the_catalogue(client: Client) -> None:
    spec = await document(client)
    types = (await client.get("/trainings/types/")).json()["items"]
    difficulties = (await client.get("/trainings/difficulties/")).json()["items"]
    search = {p["name"]: p["schema"] for p in spec["paths"]["/trainings"]["get"]["parameters"]}
    assert search["training_type"]["enum"] == ["", *types]
    assert search["difficulty"]["enum"] == ["", *difficulties]
    exercise = spec["components"]["schemas"]["TrainingExerciseCreate"]
    described = " ".join(variant["description"] for variant in exercise["anyOf"])
    for item in (await client.get("/trainings/exercises/")).json()["items"]:
        assert item["name"] in described


async def test_a_new_training_says_where_it_is(client: Client) -> None:
    spec = await document(client)
    created = spec["paths"]["/trainings"]["post"]["responses"]["201"]
    assert created["headers"]["Location"]["schema"]["format"] == "uri-reference"
    assert "409" in spec["paths"]["/users/{user_id}/trainings"]["post"]["responses"]

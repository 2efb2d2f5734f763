"""The OpenAPI contract: what goals publishes at /goals/documentation/openapi.json is what it
accepts and answers.

- schemathesis (tests/fuzz.py, glue) fuzzes the app on the suite's real components from its own
  document, with every check, as an admin and as an anonymous caller, and must find nothing;
- each body field's schema accepts exactly what the model's validators accept (an admin's
  fuzzing cannot tell: a body the models accept is refused 403 before anything else);
- a created goal's links lead to its list, its edit and its delete, and every goal answered
  matches the published schema;
- an OPTIONS on the path GET, POST, PATCH and DELETE share lists all four."""

import json
import time
from collections.abc import Iterator
from typing import Any

import jsonschema_rs
import pytest
from litestar import Litestar
from pydantic import BaseModel, ValidationError

from goals.app import create_app
from goals.catalogue.models import NAMES
from goals.goals.models import GoalCreate, GoalUpdate
from goals.params import BLANK, EXACT_USER_ID
from tests.fuzz import EXAMPLES, fuzz, serve
from tests.helpers import (
    SERVICE_TOKEN,
    Client,
    FakeClock,
    admin,
    create_goal,
    make_settings,
    new_goal,
    user,
)

SPEC = "/goals/documentation/openapi.json"


@pytest.fixture
def served(clock: FakeClock) -> Iterator[str]:
    """A second app, under uvicorn on a free port, on the suite's database, Redis and clock."""
    with serve(create_app(make_settings(), clock=clock)) as base_url:
        yield base_url


def assert_nothing_found(base_url: str, headers: dict[str, str] | None) -> None:
    started = time.monotonic()
    run = fuzz(base_url, SPEC, headers, examples=EXAMPLES)
    print(f"schemathesis ran for {time.monotonic() - started:.0f} s")
    assert run.returncode == 0, f"{run.stdout}\n{run.stderr}"


def test_a_fuzzer_finds_nothing_as_an_admin(served: str) -> None:
    # 13 to 55 s on the 2-CPU test machine (with the other suites running), 60 examples.
    assert_nothing_found(served, {**admin(), "X-Service-Token": SERVICE_TOKEN})


def test_a_fuzzer_finds_nothing_without_a_token(served: str) -> None:
    # 15 to 35 s on the 2-CPU test machine (with the other suites running), 60 examples.
    assert_nothing_found(served, None)


# The document itself


@pytest.fixture(scope="module")
def document(app: Litestar) -> dict[str, Any]:
    schema: dict[str, Any] = app.openapi_schema.to_schema()
    return schema


def component(document: dict[str, Any], name: str) -> dict[str, Any]:
    schema: dict[str, Any] = document["components"]["schemas"][name]
    return schema


def accepts(model: type[BaseModel], field: str, value: object) -> bool:
    """Whether the model reads `value` for `field` (the other fields valid). A metric must also
    be in the catalogue, which the service checks against the database."""
    body = {field: value} if model is GoalUpdate else {**new_goal(), field: value}
    try:
        model.model_validate(body)
    except ValidationError as error:
        return all(e["loc"][:1] != (field,) for e in error.errors())
    return field != "metric" or (isinstance(value, str) and value.strip() in NAMES)


BLANKS = ["", " ", "\t", "\n", "\u00a0", "\u3000", "\x1c"]
TEXTS = [
    "Run", " Run ", "R", "a b", "Run\x00", "\x00", "x" * 100, "x" * 101, " " + "x" * 100 + "\n",
    "x" * 99 + " y", "é", "\u2028Run", "Run\u200b", "\ufeffRun", *BLANKS,
]  # fmt: skip
NUMBERS = [
    1, 10, 0, -0.0, -1, 0.001, 0.0005, 2.5, 10.25, 1.1, 0.1 + 0.2, 5e-324, 999999999999.999,
    1e12, 10**13, True, False, None, [], {},
]  # fmt: skip
NUMERALS = [
    "10", "0", "00", "-0", "-0.000", "+5", "-5", " 10 ", "\u00a010\t", "10.", ".5", "0.001",
    "0.0001", "1.0000", "2.5000", "10.500", "999999999999.999", "0999999999999.999",
    "1000000000000", "1e2", "1E2", "1_0", "\u0661\u0660", "ten", "NaN", "inf", "0x10", "1,5",
    "+", ".", "", " ", "+.5", "-.0", "--1", "1.2.3",
]  # fmt: skip
DAYS = [
    "2026-06-20", " 2026-06-20\n", "2024-02-29", "2023-02-29", "2000-02-29", "1900-02-29",
    "0001-01-01", "0000-01-01", "9999-12-31", "2026-13-01", "2026-04-31", "2026-6-1",
    "20260620", "2026-06-20T00:00", "\u0662\u0660\u0662\u0666-06-20", *BLANKS, None, 20260620,
]  # fmt: skip
METRICS = [*NAMES, " distance ", "Distance", "distances", "", "weight", "fat\x00"]

CASES: list[tuple[type[BaseModel], str, list[object]]] = [
    (GoalCreate, "title", [*TEXTS, None, 5]),
    (GoalCreate, "description", [*TEXTS, "y" * 500, "y" * 501, None]),
    (GoalCreate, "metric", [*METRICS, None]),
    (GoalCreate, "objective", [*NUMBERS, *NUMERALS]),
    (GoalCreate, "time_limit", DAYS),
    (GoalCreate, "image", ["", " ", None, "iVBORw0KGgo=", 12]),
    (GoalUpdate, "title", [*TEXTS, None]),
    (GoalUpdate, "description", [*TEXTS, None]),
    (GoalUpdate, "objective", [*NUMBERS, *NUMERALS]),
    (GoalUpdate, "time_limit", DAYS),
    (GoalUpdate, "progress", [*NUMBERS, *NUMERALS]),
]


@pytest.mark.parametrize(
    ("model", "field", "values"), CASES, ids=[f"{m.__name__}.{f}" for m, f, _ in CASES]
)
def test_each_field_schema_accepts_what_the_model_accepts(
    document: dict[str, Any], model: type[BaseModel], field: str, values: list[object]
) -> None:
    schema = component(document, model.__name__)["properties"][field]
    validator = jsonschema_rs.validator_for(schema)
    disagreements = [
        (value, accepts(model, field, value))
        for value in values
        if validator.is_valid(value) != accepts(model, field, value)
    ]
    assert disagreements == [], json.dumps(schema)[:400]


def test_the_blanks_are_what_str_strip_removes() -> None:
    validator = jsonschema_rs.validator_for({"type": "string", "pattern": f"^[{BLANK}]$"})
    characters = [chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF]
    blanks = [c for c in characters if validator.is_valid(c)]
    assert blanks == [c for c in characters if c.isspace()]


def test_the_schema_states_the_bounds_the_code_holds(document: dict[str, Any]) -> None:
    operations = document["paths"]["/goals/{id}"]
    assert set(operations) == {"get", "post", "patch", "delete"}
    for operation in operations.values():
        [goal_or_user] = [p for p in operation["parameters"] if p["in"] == "path"]
        assert goal_or_user["schema"]["maximum"] == 2**63 - 1  # exact, not 2**63 as a float
        assert "401" in operation["responses"] and operation["security"] == [{"BearerToken": []}]
    for public in ("/goals/healthcheck", "/goals/readiness"):
        assert document["paths"][public]["get"]["security"] == []
    readiness = document["paths"]["/goals/readiness"]["get"]["responses"]
    assert readiness["503"]["content"] == readiness["200"]["content"]  # the report, not an Error
    assert document["components"]["securitySchemes"] == {
        "BearerToken": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
        "ServiceToken": {
            "type": "apiKey",
            "name": "X-Service-Token",
            "in": "header",
            "description": "The credential FiuFit services present to each other",
        },
    }
    assert document["security"] == [{"BearerToken": []}]
    internal = {
        (path, method): operation
        for path, item in document["paths"].items()
        if path.startswith("/internal/")
        for method, operation in item.items()
    }
    assert set(internal) == {
        ("/internal/users/{user_id}", "delete"),
        ("/internal/users/{user_id}/export", "get"),
    }
    for operation in internal.values():
        assert operation["security"] == [{"ServiceToken": []}]  # not a user's Bearer token
        assert {"400", "401", "503"} <= set(operation["responses"])
        assert "403" not in operation["responses"]
        [user_id] = operation["parameters"]
        assert user_id["schema"]["pattern"] == EXACT_USER_ID


# A goal's way through the document


def resolve(document: dict[str, Any], link: dict[str, Any]) -> tuple[str, str]:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if isinstance(operation, dict) and operation.get("operationId") == link["operationId"]:
                return method.upper(), path
    raise AssertionError(f"no operation {link['operationId']}")


async def test_a_created_goals_links_lead_to_its_list_edit_and_delete(
    client: Client, document: dict[str, Any]
) -> None:
    goal_schema = jsonschema_rs.validator_for(
        {**component(document, "Goal"), "components": document["components"]}
    )
    created = await create_goal(client, objective="2.5")
    goal_schema.validate(created)
    links = document["paths"]["/goals/{id}"]["post"]["responses"]["201"]["links"]
    values = {"$response.body#/id": created["id"], "$response.body#/user_id": created["user_id"]}
    values["$response.body#/metric"] = created["metric"]

    def target(name: str) -> tuple[str, str]:
        method, path = resolve(document, links[name])
        for parameter, expression in links[name]["parameters"].items():
            path = path.replace(f"{{{parameter}}}", str(values[expression]))
        return method, path

    method, path = target("ListGoals")
    listed = await client.request(method, path, headers=user())
    assert listed.status_code == 200 and [g["id"] for g in listed.json()] == [created["id"]]
    for goal in listed.json():
        goal_schema.validate(goal)
    method, path = target("MetricProgress")
    assert (await client.request(method, path, headers=user())).status_code == 200
    method, path = target("EditGoal")
    edited = await client.request(method, path, json={**created, "progress": "3"}, headers=user())
    assert edited.status_code == 200 and edited.json()["completed"] is True
    goal_schema.validate(edited.json())
    method, path = target("DeleteGoal")
    assert (await client.request(method, path, headers=user())).status_code == 204
    method, path = target("EditGoal")
    gone = await client.request(method, path, json={"title": "x"}, headers=user())
    assert gone.status_code == 404


async def test_options_on_the_shared_path_lists_every_method(
    client: Client, document: dict[str, Any]
) -> None:
    goal = await create_goal(client)
    declared = {m.upper() for m in document["paths"]["/goals/{id}"]} | {"OPTIONS"}
    for path in ("/goals/5", f"/goals/{goal['id']}"):
        response = await client.options(path, headers=user())
        assert response.status_code == 204
        assert set(response.headers["allow"].split(", ")) == declared
        refused = await client.put(path, headers=user())
        assert refused.status_code == 405
        assert set(refused.headers["allow"].split(", ")) == declared

"""The OpenAPI contract is true: schemathesis (`st run --checks all`, as a client would run it)
fuzzes the app, served by uvicorn on a free port on the suite's real Redis and MongoDB, from its
own /metrics/documentation/openapi.json, and finds nothing: every status, body and header an
operation answers is the one it declares, every request the spec allows is accepted, every one
it forbids is refused, undeclared methods are 405 with `Allow`, and no input gives a 5xx.

Once as an admin (the back office's caller) and once anonymous (every data operation is a 401,
declared). The rollups hold events first, so the answers checked against the schemas carry
rows: integer and fractional counts, labels and `total`, time buckets, several names (`0` is the
name schemathesis draws first). Each run takes 5-15 s here (2 CPUs), so both use fuzz.EXAMPLES.
tests/schemathesis.toml holds the one hook (and why), loaded relative to the project folder."""

import asyncio
import subprocess
from datetime import UTC, datetime

import jsonschema_rs
import pytest
from litestar.testing import AsyncTestClient

from metrics.app import create_app
from metrics.consumer.repository import record, settle
from metrics.db import Collection
from tests.fuzz import fuzz, serve
from tests.helpers import PROJECT, event, free_port, make_settings

SPEC = "/metrics/documentation/openapi.json"


@pytest.fixture
async def stored_events(rollups: Collection, monkeypatch: pytest.MonkeyPatch) -> Collection:
    monkeypatch.chdir(PROJECT)  # where tests/schemathesis.toml finds its hook
    rows = [
        ("0", "using_email_password", 1, datetime(2026, 11, 2, 10, tzinfo=UTC)),
        ("0", "using_idp", 1, datetime(2026, 11, 3, 23, tzinfo=UTC)),
        ("0", None, 2.5, datetime(2026, 11, 25, tzinfo=UTC)),
        ("user_login_count", "using_idp", 1, datetime(2026, 10, 29, tzinfo=UTC)),
        ("distance_km", "run", 4.25, datetime(2026, 11, 4, tzinfo=UTC)),
    ]
    await record(rollups, [event(m, x, d, v) for m, x, v, d in rows])
    await settle(rollups)
    return rollups


async def run_fuzzer(headers: dict[str, str]) -> subprocess.CompletedProcess[str]:
    with serve(create_app(make_settings())) as base_url:
        return await asyncio.to_thread(fuzz, base_url, SPEC, headers)


def found_nothing(result: subprocess.CompletedProcess[str]) -> bool:
    print(result.stdout, result.stderr)  # shown by pytest when the test fails
    return result.returncode == 0


async def test_the_contract_holds_for_an_admin(stored_events: Collection, admin_token: str) -> None:
    result = await run_fuzzer({"Authorization": f"Bearer {admin_token}"})
    assert found_nothing(result), "schemathesis found failures (its report is printed above)"


async def test_the_contract_holds_for_an_anonymous_caller(stored_events: Collection) -> None:
    result = await run_fuzzer({})
    assert found_nothing(result), "schemathesis found failures (its report is printed above)"


async def test_answers_during_an_outage_are_the_declared_ones(admin_token: str) -> None:
    """What the fuzzer never sees with MongoDB up: readiness' 503 carries the readiness body,
    and a query's 503 the Error body, each as the document declares for that status."""
    settings = make_settings(mongo_url=f"mongodb://127.0.0.1:{free_port()}", mongo_timeout_ms=300)
    async with AsyncTestClient(app=create_app(settings)) as client:
        spec = (await client.get(SPEC)).json()
        answers = {
            ("/metrics/readiness", "/metrics/readiness/"): {},
            ("/metrics", "/metrics?name=user_login_count"): {
                "Authorization": f"Bearer {admin_token}"
            },
        }
        for (path, url), headers in answers.items():
            response = await client.get(url, headers=headers)
            assert response.status_code == 503, response.text
            declared = spec["paths"][path]["get"]["responses"]["503"]
            schema = declared["content"]["application/json"]["schema"]
            validator = jsonschema_rs.validator_for({**schema, "components": spec["components"]})
            assert validator.is_valid(response.json()), (path, response.json(), schema)
